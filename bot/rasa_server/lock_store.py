"""Rasa's Redis lock store, mended so that a turn never waits forever behind a killed instance.

Several Rasa instances share each conversation's lock in Redis (`lock_store:`
in the endpoints file bot/runner/ writes; docs/production.md). Rasa 3.6.21's
ticket lock (paths under rasa/): `LockStore.lock` (`core/lock_store.py`
l. 89-108) takes a ticket that expires after TICKET_LOCK_LIFETIME seconds
(`issue_ticket`, `core/lock.py` l. 66-73) and `_acquire_lock` (l. 110-143)
polls once a second, dropping expired tickets, until its ticket is the first.

The fault (found by tests/production/test_faults.py): an instance is killed
while it holds a conversation's ticket, and the person's message is sent again
to another instance within the second. Both tickets then expire within one
poll of each other, and at the next poll neither is left: `now_serving` is 0
(`core/lock.py` l. 98-107), never the waiter's number, so `is_locked` stays
true and the waiter polls until its client gives up. The same happens to any
waiter whose own ticket runs out while it waits.

`ResilientRedisLockStore` changes only `lock`:

- a waiter whose ticket has gone (run out, or Redis restarted and lost every
  lock) takes a new one and goes on waiting, instead of waiting forever (or,
  with the lock gone, failing with LockError);
- it polls every 0.25 s rather than every second (a turn takes well under one);
- the ticket given back at the end is the one it holds, and a failure to give
  it back (Redis away just then) is logged, not raised: the turn has been
  handled and saved by then, and reporting it as failed would have the person
  send it again, twice into the conversation. The ticket runs out by itself.

Everything else (Redis keys, ticket format, the lifetime) is Rasa's, so
instances with and without it agree on the locks.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, List, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

POLL_S = 0.25


def _holds(lock: Optional[TicketLock], ticket: int) -> bool:
    """The ticket is still in the queue (it has not run out, and the lock has not vanished)."""
    return lock is not None and any(t.number == ticket and not t.has_expired() for t in lock.tickets)


class ResilientRedisLockStore(RedisLockStore):
    """Rasa's `RedisLockStore`; a waiter never strands (see the module's doc)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path with the endpoint config alone
        # (`_load_from_module_name_in_endpoint_config`, core/lock_store.py l. 323-340).
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        held: List[int] = [self.issue_ticket(conversation_id, lock_lifetime)]
        try:
            lock = await self._wait_for_turn(conversation_id, held, lock_lifetime, wait_time_in_seconds)
            yield lock
        finally:
            self._give_back(conversation_id, held[0])

    async def _wait_for_turn(self, conversation_id: Text, held: List[int], lifetime: float,
                             poll_s: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None or not _holds(lock, held[0]):
                logger.warning(
                    "lock: the ticket for conversation %r ran out while it waited (a holder that never "
                    "finished, or Redis restarted); taking a new one", conversation_id,
                )
                held[0] = self.issue_ticket(conversation_id, lifetime)
                continue
            if not lock.is_locked(held[0]):
                return lock
            await asyncio.sleep(poll_s)
            self.update_lock(conversation_id)

    def _give_back(self, conversation_id: Text, ticket: int) -> None:
        try:
            self.cleanup(conversation_id, ticket)
        except Exception as exc:  # noqa: BLE001 (Redis away: the ticket runs out by itself)
            logger.warning("lock: could not give back the ticket for conversation %r (%s); it runs out "
                           "within the lock's lifetime", conversation_id, type(exc).__name__)
