"""A small per-conversation message limit.

Why our own: Flask-Limiter's `limits` package needs a newer `packaging` than
Rasa 3.6 pins, so it cannot be installed beside it. This is a sliding window
over the last minute, per key, in this process: enough to stop a script from
flooding one conversation through one web process. (With several web
processes behind a load balancer, each keeps its own window.)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Deque, Dict

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
