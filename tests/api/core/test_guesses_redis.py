"""Guess counters in Redis: replicas share them with the in-process semantics; a dead Redis refuses nobody."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from api.accounts import auth
from api.core.guesses import Guesser, GuessPolicy, RedisGuessLimiter
from tests.support.app import PASSWORD, gateway_client, make_settings
from tools.services import ThrowawayRedis, free_port

A, B = Guesser("ip:203.0.113.9"), Guesser("ip:198.51.100.7")


def limiter(url: str, target_limit: int = 3, client_limit: int = 100) -> RedisGuessLimiter:
    client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
    policy = GuessPolicy(target_limit, client_limit, first_wait_s=30.0)
    return RedisGuessLimiter(client, policy, prefix=f"test:{uuid.uuid4().hex}:")


def test_two_replicas_share_the_count(redis_server: ThrowawayRedis) -> None:
    a = limiter(redis_server.url)
    b = RedisGuessLimiter(a.client, a.policy, prefix=a.prefix)
    assert [a.attempt("YS-1", A), b.attempt("YS-1", A), a.attempt("YS-1", A)] == [0.0, 0.0, 0.0]
    assert 29 < b.attempt("YS-1", A) <= 30  # the third miss, wherever it landed, makes the next one wait
    assert b.attempt("YS-1", B) == 0.0  # someone else is not refused
    ttl = a.client.ttl(f"{a.prefix}t:{A.key}|YS-1")
    assert 900 < ttl <= 930  # a window after the last miss, plus its wait


def test_one_client_is_slowed_over_all_targets(redis_server: ThrowawayRedis) -> None:
    lim = limiter(redis_server.url, target_limit=10, client_limit=5)
    assert [lim.attempt(f"YS-{n}", A) for n in range(5)] == [0.0] * 5
    assert lim.attempt("YS-99", A) > 0 and lim.attempt("YS-99", B) == 0.0


def test_a_right_answer_takes_its_guess_back(redis_server: ThrowawayRedis) -> None:
    lim = limiter(redis_server.url, target_limit=3, client_limit=5)
    for _ in range(20):
        assert lim.attempt("YS-1", A) == 0.0
        lim.succeeded("YS-1", A)
    assert lim.client.hget(f"{lim.prefix}c:{A.key}", "misses") == b"0"
    assert not lim.client.exists(f"{lim.prefix}t:{A.key}|YS-1")


def test_parallel_guesses_cannot_overtake_the_count(redis_server: ThrowawayRedis) -> None:
    lim = limiter(redis_server.url, target_limit=10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda _: lim.attempt("YS-1", A), range(100)))
    assert waits.count(0.0) == 10


def test_dead_redis_falls_back_to_this_replicas_counts() -> None:
    lim = limiter(f"redis://127.0.0.1:{free_port()}/0", target_limit=2)
    assert lim.attempt("k", A) == 0.0 and lim.attempt("k", A) == 0.0
    assert lim.attempt("k", A) > 0  # nobody is refused because Redis is down, and guessing is still capped


def test_an_outage_does_not_start_the_counts_from_zero(tmp_path: Path) -> None:
    server = ThrowawayRedis.start(tmp_path / "redis")
    try:
        lim = limiter(server.url, target_limit=3)
        assert lim.attempt("YS-1", A) == 0.0 and lim.attempt("YS-1", A) == 0.0
    finally:
        server.stop()
    assert lim.attempt("YS-1", A) == 0.0  # the third, counted on this replica's mirror
    assert lim.attempt("YS-1", A) > 0


def test_gateway_counts_in_redis_when_configured(tmp_path: Path, redis_server: ThrowawayRedis) -> None:
    with gateway_client(make_settings(tmp_path, redis_url=redis_server.url)) as client:
        runtime = client.app.state.cases  # type: ignore[attr-defined]
        logins = client.app.state.logins  # type: ignore[attr-defined]
        assert isinstance(runtime.lookups, RedisGuessLimiter) and isinstance(logins, RedisGuessLimiter)
        name = f"agent-{uuid.uuid4().hex[:8]}"
        with runtime.db.sessions() as session:
            auth.create_user(session=session, username=name, password=PASSWORD, role="agent")
        codes = [
            client.post("/api/staff/login", json={"username": name, "password": f"guess {i}"}).status_code
            for i in range(6)
        ]
        assert codes == [401] * 5 + [429]
        assert logins.client.exists(f"guess:login:t:ip:testclient|{name}")
