"""Guess limits of case lookups (phone_last4) and staff logins (console and staff API share them).

Misses are counted per client and per (client, target), never per target alone, so someone else's misses
never refuse the right answer from a client that has not been guessing itself. Past a limit the client
waits before its next guess (429 with Retry-After), and the wait doubles with every further miss.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from api.settings import Settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

MAX_WAIT_S = 900.0  # the slowest pace: one guess per 15 minutes


@dataclass(frozen=True)
class Guesser:
    """Who guesses; `shared` is one address speaking for many people (the action server): per-target counts only."""

    key: str
    shared: bool = False


@dataclass(frozen=True)
class GuessPolicy:
    target_limit: int  # misses on one target (case number, username) from one client, then that client waits
    client_limit: int  # misses from one client on all targets together, then it waits
    first_wait_s: float  # the first wait past a limit; doubles with every further miss
    window_s: float = 900.0  # a count is forgotten this long after its client's last miss (plus the wait)
    max_wait_s: float = MAX_WAIT_S

    @classmethod
    def lookups(cls, settings: Settings) -> GuessPolicy:
        return cls(settings.case_lookup_max_failures, settings.guess_client_max_failures, settings.guess_slowdown_s)

    @classmethod
    def logins(cls, settings: Settings) -> GuessPolicy:
        return cls(settings.console_login_max_failures, settings.guess_client_max_failures, settings.guess_slowdown_s)

    def wait_after(self, misses: int, limit: int) -> float:
        if misses < limit:
            return 0.0
        return min(self.max_wait_s, self.first_wait_s * 2.0 ** min(misses - limit, 32))


class GuessLimiter(Protocol):
    def attempt(self, target: str, guesser: Guesser) -> float:
        """Counts the guess as a miss before it is checked, so parallel requests cannot overtake the count.

        Returns 0 to go ahead, else the seconds this guesser must still wait (nothing is counted then).
        """
        ...

    def succeeded(self, target: str, guesser: Guesser) -> None:
        """The guess was right: take its count back, and forget this guesser's misses on the target."""
        ...


def retry_after(wait_s: float) -> dict[str, str]:
    """The header of a 429: whole seconds, at least one."""
    return {"Retry-After": str(max(1, math.ceil(wait_s)))}


def _keys(policy: GuessPolicy, target: str, guesser: Guesser) -> list[tuple[str, int]]:
    """(key, limit): the (client, target) pair first; client keys have no "|", so pairs cannot collide."""
    keys = [(f"t:{guesser.key}|{target}", policy.target_limit)]
    if not guesser.shared:
        keys.append((f"c:{guesser.key}", policy.client_limit))
    return keys


@dataclass
class _Count:
    misses: int = 0
    wait_until: float = 0.0
    expires: float = 0.0


class MemoryGuessLimiter:
    """In process; past `max_keys` the least recently used count goes, one at a time, never all of them."""

    def __init__(
        self, policy: GuessPolicy, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        self.max_keys = max(2, max_keys)  # one attempt touches two keys
        self.clock = clock
        self._counts: OrderedDict[str, _Count] = OrderedDict()
        self._lock = threading.Lock()  # routes are sync: the threadpool calls in parallel

    def __len__(self) -> int:
        return len(self._counts)

    def _get(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is None:
            return None
        if count.expires <= now:
            del self._counts[key]
            return None
        self._counts.move_to_end(key)
        return count

    def _miss(self, keys: list[tuple[str, int]], now: float) -> None:
        for key, limit in keys:
            count = self._get(key, now)
            if count is None:
                count = self._counts[key] = _Count()
            count.misses += 1
            wait = self.policy.wait_after(count.misses, limit)
            if wait:
                count.wait_until = now + wait
            count.expires = now + self.policy.window_s + wait
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)

    def attempt(self, target: str, guesser: Guesser) -> float:
        now = self.clock()
        keys = _keys(self.policy, target, guesser)
        with self._lock:
            counts = [self._get(key, now) for key, _ in keys]
            wait = max((c.wait_until - now for c in counts if c is not None), default=0.0)
            if wait > 0:
                return wait
            self._miss(keys, now)
        return 0.0

    def record(self, target: str, guesser: Guesser) -> None:
        """Count without checking: the Redis limiter's mirror, so a Redis outage does not start from zero."""
        now = self.clock()
        with self._lock:
            self._miss(_keys(self.policy, target, guesser), now)

    def succeeded(self, target: str, guesser: Guesser) -> None:
        now = self.clock()
        (pair, _), *client = _keys(self.policy, target, guesser)
        with self._lock:
            self._counts.pop(pair, None)
            for key, _ in client:
                count = self._get(key, now)
                if count is not None and count.misses > 0:
                    count.misses -= 1


# KEYS: the counters (hashes: misses, until), pair first. ARGV: each key's limit, then first wait, max wait, window.
# On Redis's clock, so replicas with skewed clocks agree. Returns the wait in seconds as a string ("0" = go ahead).
ATTEMPT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = #KEYS
local first, cap, window = tonumber(ARGV[n + 1]), tonumber(ARGV[n + 2]), tonumber(ARGV[n + 3])
local wait = 0
for i = 1, n do
  local u = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if u - now > wait then wait = u - now end
end
if wait > 0 then return string.format('%.3f', wait) end
for i = 1, n do
  local misses = redis.call('HINCRBY', KEYS[i], 'misses', 1)
  local limit = tonumber(ARGV[i])
  local delay = 0
  if misses >= limit then
    delay = math.min(cap, first * 2 ^ math.min(misses - limit, 32))
    redis.call('HSET', KEYS[i], 'until', string.format('%.6f', now + delay))
  end
  redis.call('EXPIRE', KEYS[i], math.ceil(window + delay))
end
return '0'
"""

# KEYS[1] the pair, forgotten; KEYS[2] (when given) the client's counter, one miss taken back if it still exists.
SUCCEEDED_LUA = """
redis.call('DEL', KEYS[1])
if KEYS[2] then
  local misses = tonumber(redis.call('HGET', KEYS[2], 'misses') or '0')
  if misses > 0 then redis.call('HINCRBY', KEYS[2], 'misses', -1) end
end
return 0
"""


class RedisGuessLimiter:
    """The same counts in Redis (one atomic script per call), so N replicas do not give a guesser N budgets.

    Redis unreachable: the in-process limiter (which mirrors every count) takes over with the same limits,
    Redis is skipped for `retry_after_s`, and a warning is logged at most once a minute; never fails a request.
    """

    def __init__(self, client: redis.Redis, policy: GuessPolicy, *, prefix: str, retry_after_s: float = 5.0) -> None:
        self.client = client
        self.policy = policy
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        self.fallback = MemoryGuessLimiter(policy)
        self._attempt = client.register_script(ATTEMPT_LUA)
        self._succeeded = client.register_script(SUCCEEDED_LUA)
        self._skip_until = 0.0
        self._warned_at = float("-inf")

    def _redis(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _down(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = now + self.retry_after_s
        if now - self._warned_at >= 60.0:
            self._warned_at = now
            log.warning("guess limits: Redis unreachable (%s); per-replica limits meanwhile", type(exc).__name__)

    def attempt(self, target: str, guesser: Guesser) -> float:
        import redis

        if self._redis():
            keys = _keys(self.policy, target, guesser)
            p = self.policy
            args = [*(limit for _, limit in keys), p.first_wait_s, p.max_wait_s, p.window_s]
            try:
                wait = float(self._attempt(keys=[self.prefix + k for k, _ in keys], args=args))
            except redis.RedisError as exc:
                self._down(exc)
            else:
                if wait <= 0:
                    self.fallback.record(target, guesser)
                return wait
        return self.fallback.attempt(target, guesser)

    def succeeded(self, target: str, guesser: Guesser) -> None:
        import redis

        self.fallback.succeeded(target, guesser)
        if self._redis():
            try:
                self._succeeded(keys=[self.prefix + k for k, _ in _keys(self.policy, target, guesser)])
            except redis.RedisError as exc:
                self._down(exc)


def build_limiter(policy: GuessPolicy, client: redis.Redis | None = None, *, prefix: str) -> GuessLimiter:
    """In Redis when a client is given, so replicas share the counts; else in process."""
    if client is None:
        return MemoryGuessLimiter(policy)
    return RedisGuessLimiter(client, policy, prefix=prefix)
