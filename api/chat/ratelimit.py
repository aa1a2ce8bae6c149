"""Rate limits for chat turns: a token bucket per key, in process; swap in a shared store behind `RateLimiter`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol


class RateLimiter(Protocol):
    """`hit(key)` spends one token; returns 0 when allowed, else the seconds to wait."""

    def hit(self, key: str) -> float: ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """`burst` turns at once, refilled at `per_minute`; the oldest keys are dropped past `max_keys`."""

    def __init__(self, burst: int, per_minute: float, max_keys: int = 100_000) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                b = _Bucket(self.burst, now)
                self._buckets[key] = b
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                b.tokens = min(self.burst, b.tokens + (now - b.updated) * self.rate)
                b.updated = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / self.rate if self.rate > 0 else 60.0


class Unlimited:
    """For benchmarks and trusted internal callers."""

    def hit(self, key: str) -> float:
        return 0.0
