"""The conversation lock on Redis (bot/rasa_server/lock_store.py), against the Redis at TEST_REDIS_URL.

The fault it mends, made certain rather than timed: a ticket of a holder that
never finishes (a killed instance) is ahead, and the waiter's own ticket runs
out first. Rasa's RedisLockStore then waits for ever; ours takes a new ticket
and gets the lock as soon as the dead one has run out.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.lock_store import ResilientRedisLockStore
from tests.conftest import RedisTarget

pytestmark = pytest.mark.production

DEAD_TICKET_S = 1.5


def _config(target: RedisTarget) -> EndpointConfig:
    from urllib.parse import urlsplit

    parts = urlsplit(target.url)
    return EndpointConfig(url=parts.hostname, type="bot.rasa_server.lock_store.ResilientRedisLockStore",
                          port=parts.port or 6379, db=int(parts.path.strip("/") or 0), key_prefix=target.prefix,
                          password=parts.password)


def _dead_holder(store: RedisLockStore, conversation: str) -> None:
    """A ticket as a killed instance leaves it: issued, never given back."""
    lock = TicketLock(conversation)
    lock.issue_ticket(DEAD_TICKET_S)
    store.save_lock(lock)


async def _take(store: RedisLockStore, conversation: str) -> float:
    began = time.monotonic()
    # The waiter's ticket (0.5 s) runs out before the dead one (1.5 s).
    async with store.lock(conversation, lock_lifetime=0.5, wait_time_in_seconds=0.1):
        return time.monotonic() - began


def test_rasa_builds_it_from_the_endpoints_file(redis_target: RedisTarget) -> None:
    from rasa.core.lock_store import LockStore

    store = LockStore.create(_config(redis_target))
    assert isinstance(store, ResilientRedisLockStore)
    assert store.key_prefix == f"{redis_target.prefix}:lock:"


def test_a_waiter_whose_ticket_runs_out_behind_a_dead_holder_still_gets_the_lock(
        redis_target: RedisTarget) -> None:
    store = ResilientRedisLockStore(_config(redis_target))
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    _dead_holder(store, conversation)
    waited = asyncio.run(asyncio.wait_for(_take(store, conversation), timeout=10))
    assert DEAD_TICKET_S - 0.3 <= waited <= DEAD_TICKET_S + 1.0
    assert store.get_lock(conversation) is None, "given back: the next turn need not wait"


def test_rasas_own_lock_store_waits_for_ever_there(redis_target: RedisTarget) -> None:
    """Why bot/rasa_server/lock_store.py exists (if Rasa mends it, this fails and the subclass can go)."""
    store = RedisLockStore(host=_config(redis_target).url, port=_config(redis_target).kwargs["port"],
                           db=_config(redis_target).kwargs["db"], key_prefix=redis_target.prefix,
                           password=_config(redis_target).kwargs["password"])
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    _dead_holder(store, conversation)
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(_take(store, conversation), timeout=DEAD_TICKET_S + 3))
    store.delete_lock(conversation)


def test_a_lock_lost_with_a_redis_restart_is_taken_again(redis_target: RedisTarget) -> None:
    store = ResilientRedisLockStore(_config(redis_target))
    conversation = f"lock-{uuid.uuid4().hex[:8]}"

    async def hold_while_redis_forgets() -> None:
        async with store.lock(conversation, lock_lifetime=5, wait_time_in_seconds=0.1):
            store.delete_lock(conversation)  # as `redis-cli shutdown nosave` would

    asyncio.run(asyncio.wait_for(hold_while_redis_forgets(), timeout=5))
    waited = asyncio.run(asyncio.wait_for(_take(store, conversation), timeout=5))
    assert waited < 1.0


def test_failing_to_give_the_ticket_back_does_not_fail_the_turn(redis_target: RedisTarget,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis away just as the turn ends: the turn (already saved) stands; the ticket runs out by itself."""
    import redis

    store = ResilientRedisLockStore(_config(redis_target))
    conversation = f"lock-{uuid.uuid4().hex[:8]}"

    def away(*_args: object) -> None:
        raise redis.ConnectionError("Redis went away")

    async def turn() -> str:
        async with store.lock(conversation, lock_lifetime=1, wait_time_in_seconds=0.1):
            monkeypatch.setattr(store, "cleanup", away)
            return "answered"

    assert asyncio.run(turn()) == "answered"
