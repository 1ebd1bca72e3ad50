"""The chat page's limiter: in this process on the embedded default, in Redis on the production path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

from bot.settings import load_settings
from bot.web import create_app
from bot.web.limits import RateLimiter, RedisRateLimiter, limiter_for
from tests.conftest import RedisTarget

SECRET = "test-secret-key-" + "x" * 40


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_in_memory_a_key_gets_its_limit_each_minute_and_keys_are_apart() -> None:
    clock = Clock(1000.0)
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b"), "another conversation has its own count"
    clock.at += 60.0
    assert limiter.allow("a"), "a minute later the window has moved on"


def test_without_a_redis_url_the_app_counts_in_memory(tmp_path: Path) -> None:
    settings = load_settings().copy(update={"secret_key": SECRET, "web_session_dir": str(tmp_path / "s"),
                                            "lock_store_url": ""})
    assert isinstance(create_app(settings).extensions["msp.limiter"], RateLimiter)
    assert isinstance(limiter_for(5), RateLimiter)


@pytest.mark.production
def test_in_redis_every_web_process_counts_against_one_limit(redis_target: RedisTarget, tmp_path: Path) -> None:
    """Two apps (two web processes) on the same Redis share one count; the key goes after its window."""
    settings = load_settings().copy(update={
        "secret_key": SECRET, "web_session_dir": str(tmp_path / "s"), "chat_messages_per_minute": 3,
        "lock_store_url": redis_target.url, "lock_key_prefix": redis_target.prefix})
    first, second = (create_app(settings).extensions["msp.limiter"] for _ in range(2))
    assert isinstance(first, RedisRateLimiter) and isinstance(second, RedisRateLimiter)
    clock = Clock(6000.0)  # the start of a minute, so the test cannot straddle two windows
    first.clock = second.clock = clock
    seen: List[bool] = [first.allow("cid-1"), second.allow("cid-1"), first.allow("cid-1"), second.allow("cid-1")]
    assert seen == [True, True, True, False], "N web processes no longer allow N times the limit"
    assert second.allow("cid-2"), "another conversation has its own count"
    name = first.key_for("cid-1")
    assert name.startswith(f"{redis_target.prefix}:") and name in redis_target.keys()
    assert 0 < redis_target.client().ttl(name) <= 120, "the counter expires: Redis does not fill up"
    clock.at += 60.0
    assert first.allow("cid-1"), "the next minute starts a new count"


def test_when_redis_does_not_answer_the_message_is_allowed() -> None:
    class Broken:
        def pipeline(self, transaction: bool = True) -> Any:
            raise ConnectionError("redis is down")

    assert RedisRateLimiter(Broken(), 1).allow("cid"), "a Redis fault never keeps a person from the assistant"
