"""Guess counters of case lookups and console logins in Redis: replicas share them; a dead Redis refuses nobody."""

from __future__ import annotations

import uuid
from pathlib import Path

import redis
from fastapi.testclient import TestClient

from api.cases.runtime import RedisLookupLimiter
from api.main import create_app
from api.ops.services import ThrowawayRedis, free_port
from tests.api.conftest import make_settings


def limiter(url: str, max_failures: int = 3) -> RedisLookupLimiter:
    client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
    return RedisLookupLimiter(client, max_failures, 900.0, prefix="lookup:")


def test_two_replicas_share_the_count(redis_server: ThrowawayRedis) -> None:
    a, b = limiter(redis_server.url), limiter(redis_server.url)
    key = f"YS-{uuid.uuid4().hex}"
    a.failed(key)
    b.failed(key)
    assert not a.blocked(key) and not b.blocked(key)
    a.failed(key)  # the third wrong guess, wherever it landed
    assert a.blocked(key) and b.blocked(key)
    ttl = a.client.ttl("lookup:" + key)
    assert 0 < ttl <= 900  # the window was set once, on the first failure


def test_dead_redis_falls_back_to_this_replicas_counts() -> None:
    lim = limiter(f"redis://127.0.0.1:{free_port()}/0", max_failures=2)
    assert not lim.blocked("k")
    lim.failed("k")
    lim.failed("k")
    assert lim.blocked("k")  # nobody is refused because Redis is down, and guessing is still capped


def test_gateway_uses_redis_counters_when_configured(tmp_path: Path, redis_server: ThrowawayRedis) -> None:
    with TestClient(create_app(make_settings(tmp_path, redis_url=redis_server.url))) as client:
        assert isinstance(client.app.state.cases.limiter, RedisLookupLimiter)  # type: ignore[attr-defined]
        assert isinstance(client.app.state.console_limiter, RedisLookupLimiter)  # type: ignore[attr-defined]
