"""Rate limits for chat turns: a token bucket per key, in process, or in Redis so gateway replicas share one budget."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from api.settings import Settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)


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


# One token bucket per key, on Redis's clock so replicas with skewed clocks agree. Mirrors TokenBucketLimiter.
# KEYS[1] the bucket; ARGV burst, tokens per second, TTL (s). Returns the wait in seconds as a string (0 = allowed).
TOKEN_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1])
if tokens == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - tonumber(b[2])) * rate)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif rate > 0 then
  wait = (1 - tokens) / rate
else
  wait = 60
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'updated', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return string.format('%.3f', wait)
"""


class RedisTokenBucketLimiter:
    """The token bucket in Redis (one atomic Lua call per hit), shared by every gateway replica.

    Redis unreachable: a citizen is never refused because Redis blinked. The hit falls back to an in-process
    bucket with the same limits (so one replica still caps a flood on its own), Redis is skipped for
    `retry_after_s` so a dead Redis does not cost a connect timeout per turn, and a warning is logged at most
    once a minute. The Redis client should have short socket timeouts: `hit` runs on the event loop.
    """

    def __init__(
        self,
        client: redis.Redis,
        burst: int,
        per_minute: float,
        *,
        prefix: str = "ratelimit:",
        retry_after_s: float = 5.0,
    ) -> None:
        self.client = client
        self.burst = burst
        self.rate = per_minute / 60.0
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        # a full bucket is as good as no key: keep keys until the bucket would have refilled, at least a minute
        self.ttl_s = max(60, int(burst / self.rate) + 1) if self.rate > 0 else 3600
        self.fallback = TokenBucketLimiter(burst, per_minute)
        self._script = client.register_script(TOKEN_BUCKET_LUA)
        self._skip_until = 0.0
        self._warned_at = float("-inf")

    def hit(self, key: str) -> float:
        import redis

        now = time.monotonic()
        if now >= self._skip_until:
            try:
                wait = self._script(keys=[self.prefix + key], args=[self.burst, self.rate, self.ttl_s])
                return float(wait)
            except redis.RedisError as exc:
                self._skip_until = now + self.retry_after_s
                if now - self._warned_at >= 60.0:
                    self._warned_at = now
                    log.warning("rate limits: Redis unreachable (%s); using per-replica limits meanwhile", exc)
        return self.fallback.hit(key)


class Unlimited:
    """For benchmarks and trusted internal callers."""

    def hit(self, key: str) -> float:
        return 0.0


@asynccontextmanager
async def chat_limiters(settings: Settings) -> AsyncIterator[tuple[RateLimiter, RateLimiter]]:
    """(per sender, per client IP): in Redis when REDIS_URL is set, so replicas share one budget; else in process."""
    if not settings.redis_url:
        yield (
            TokenBucketLimiter(settings.chat_rate_sender_burst, settings.chat_rate_sender_per_min),
            TokenBucketLimiter(settings.chat_rate_ip_burst, settings.chat_rate_ip_per_min),
        )
        return
    import redis

    # short timeouts: a hit runs on the event loop, and a slow Redis must not hold every turn up
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
    try:
        yield (
            RedisTokenBucketLimiter(client, settings.chat_rate_sender_burst, settings.chat_rate_sender_per_min),
            RedisTokenBucketLimiter(client, settings.chat_rate_ip_burst, settings.chat_rate_ip_per_min),
        )
    finally:
        client.close()
