"""A small per-conversation message limit, and the danger reading it never skips.

Why our own limiter: Flask-Limiter's `limits` package needs a newer
`packaging` than Rasa 3.6 pins, so it cannot be installed beside it. Two
counters, one contract (`allow(key)`):
- `RateLimiter`, the embedded default (one web process): a sliding window
  over the last minute, per key, in this process's memory.
- `RedisRateLimiter`, the production path (LOCK_STORE_URL set, several web
  processes behind a load balancer): a fixed one-minute window per key in
  Redis (INCR, then EXPIRE), so every process counts against the same limit.
  If Redis does not answer, the message is allowed (and logged): the limiter
  must never stand between a person and the assistant.
`limiter_for(settings)` picks one.

The limiter stops floods, never help. A message it would refuse is first read
for danger by the rules reader (`bot.language.danger`, without the model,
which lives in Rasa): clear or possible danger still goes to Rasa, whose
actions give the help and raise the alert. The same reading decides whether
the web app raises the alert itself when Rasa cannot take the message.

The reader (spaCy and the danger rules) is built on first use, a few seconds;
`msp serve`'s web process builds it in a background thread at start
(`warm_danger_reader`), so a person in danger never waits for it. Tests build
it on first need.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Union

logger = logging.getLogger(__name__)

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(1, per_minute)
        self.clock = clock
        self._seen: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """True, and counted, when `key` may send another message now."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] >= WINDOW_S:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self._seen) > 10000:  # forget idle keys so memory stays flat
                for stale in [k for k, v in self._seen.items() if not v or now - v[-1] >= WINDOW_S]:
                    del self._seen[stale]
            return True


class RedisRateLimiter:
    """At most `per_minute` messages per key in each clock minute, counted in Redis by every web process."""

    def __init__(self, client: Any, per_minute: int, prefix: str = "msp",
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.per_minute = max(1, per_minute)
        self.prefix = prefix
        self.clock = clock

    def key_for(self, key: str) -> str:
        return f"{self.prefix}:chat-limit:{int(self.clock() // WINDOW_S)}:{key}"

    def allow(self, key: str) -> bool:
        """True, and counted, when `key` may send another message now; True too when Redis fails."""
        name = self.key_for(key)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(name)
            pipe.expire(name, int(2 * WINDOW_S))  # the window's key outlives its minute, then goes
            count, _ = pipe.execute()
        except Exception:  # noqa: BLE001 (a Redis fault must never keep a person from the assistant)
            logger.exception("the chat limiter could not reach Redis; the message is allowed")
            return True
        return int(count) <= self.per_minute


Limiter = Union[RateLimiter, RedisRateLimiter]


def limiter_for(per_minute: int, redis_url: str = "", prefix: str = "msp",
                client: Optional[Any] = None) -> Limiter:
    """In Redis when a Redis URL is set (the production path, LOCK_STORE_URL), else in this process."""
    if client is None and not redis_url:
        return RateLimiter(per_minute)
    if client is None:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    return RedisRateLimiter(client, per_minute, prefix)


# One reading at a time: spaCy's pipeline and Matchers are not documented as safe across threads,
# and the web server runs several. Readings are rare (a refused or undelivered message).
_reader_lock = threading.Lock()


def reads_as_danger(text: str) -> bool:
    """True when the rules read `text` as clear or possible danger (the gentle check's tier too).

    If the reader itself fails, the answer is True: nothing may switch danger off.
    """
    try:
        from bot.language import readers
        from bot.language.danger import CLEAR, POSSIBLE, assess_danger, decide

        with _reader_lock:
            learned = readers.current()
            score = learned.danger_score(text) if learned is not None else None
            return decide(assess_danger(text), None, 0.0, score) in (CLEAR, POSSIBLE)
    except Exception:  # noqa: BLE001 (fail towards help)
        logger.exception("the danger reader failed; the message is treated as danger")
        return True


def warm_danger_reader() -> threading.Thread:
    """Build the danger reader in the background now, so its first real use does not wait."""

    def build() -> None:
        began = time.perf_counter()
        reads_as_danger("he is at the door")
        logger.info("danger reader ready in %.1f s", time.perf_counter() - began)

    thread = threading.Thread(target=build, name="msp-danger-reader", daemon=True)
    thread.start()
    return thread
