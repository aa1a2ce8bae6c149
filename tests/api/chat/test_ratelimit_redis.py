"""The Redis token bucket against a real redis-server: replicas share one budget; a dead Redis refuses nobody."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path

import pytest
import redis

from api.chat.ratelimit import RedisTokenBucketLimiter, TokenBucketLimiter, chat_limiters
from tests.support.app import make_settings
from tools.services import ThrowawayRedis, free_port


def client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)


def test_two_replicas_share_one_budget(redis_server: ThrowawayRedis) -> None:
    a = RedisTokenBucketLimiter(client_for(redis_server.url), burst=5, per_minute=1)
    b = RedisTokenBucketLimiter(client_for(redis_server.url), burst=5, per_minute=1)
    key = f"sender:{uuid.uuid4().hex}"
    waits = [(a if i % 2 else b).hit(key) for i in range(5)]
    assert waits == [0.0] * 5
    # the budget is spent, whichever replica asks next; the wait is about one token at 1/min
    assert 50 < a.hit(key) <= 61
    assert 50 < b.hit(key) <= 61
    assert a.hit(f"sender:{uuid.uuid4().hex}") == 0.0  # other keys are untouched


def test_refills_at_the_configured_rate(redis_server: ThrowawayRedis) -> None:
    lim = RedisTokenBucketLimiter(client_for(redis_server.url), burst=1, per_minute=600)  # one token per 0.1 s
    key = f"ip:{uuid.uuid4().hex}"
    assert lim.hit(key) == 0.0
    assert 0 < lim.hit(key) <= 0.1
    time.sleep(0.15)
    assert lim.hit(key) == 0.0


def test_keys_expire_once_the_bucket_would_be_full(redis_server: ThrowawayRedis) -> None:
    client = client_for(redis_server.url)
    lim = RedisTokenBucketLimiter(client, burst=10, per_minute=30)
    key = f"sender:{uuid.uuid4().hex}"
    lim.hit(key)
    ttl = client.ttl(lim.prefix + key)
    assert isinstance(ttl, int)
    assert 0 < ttl <= 60


def test_redis_down_fails_open_to_per_replica_limits(caplog: pytest.LogCaptureFixture) -> None:
    """Nobody is refused because Redis is unreachable; the in-process bucket still caps a flood; one warning."""
    lim = RedisTokenBucketLimiter(client_for(f"redis://127.0.0.1:{free_port()}/0"), burst=3, per_minute=1)
    with caplog.at_level(logging.WARNING, logger="api.chat.ratelimit"):
        waits = [lim.hit("sender:x") for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0  # the fallback bucket, same limits
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_chat_limiters_choose_redis_only_when_configured(tmp_path: Path, redis_server: ThrowawayRedis) -> None:
    async def kinds(**overrides: str) -> list[type]:
        async with chat_limiters(make_settings(tmp_path, **overrides)) as pair:
            return [type(x) for x in pair]

    assert asyncio.run(kinds()) == [TokenBucketLimiter, TokenBucketLimiter]
    assert asyncio.run(kinds(redis_url=redis_server.url)) == [RedisTokenBucketLimiter, RedisTokenBucketLimiter]
