"""The in-process guess limiter: per client and per (client, target), a slow-down that grows, LRU instead of clear()."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from api.accounts import auth
from api.core.guesses import Guesser, GuessPolicy, MemoryGuessLimiter
from tests.support.app import PASSWORD, gateway_client, make_settings
from tests.support.cases import from_address

A, B, C = Guesser("ip:203.0.113.9"), Guesser("ip:198.51.100.7"), Guesser("ip:192.0.2.1")


class Clock:
    """A clock the test moves by hand, so waits of minutes take no time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(target_limit: int = 3, client_limit: int = 100, max_keys: int = 1000) -> tuple[MemoryGuessLimiter, Clock]:
    clock = Clock()
    policy = GuessPolicy(target_limit, client_limit, first_wait_s=1.0)
    return MemoryGuessLimiter(policy, max_keys=max_keys, clock=clock), clock


def test_past_the_limit_each_miss_doubles_the_wait() -> None:
    lim, clock = limiter(target_limit=3)
    assert [lim.attempt("YS-1", A) for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = []
    for _ in range(14):
        wait = lim.attempt("YS-1", A)
        assert wait > 0 and lim.attempt("YS-1", A) == wait  # a refused try is not a guess: the wait stays
        waits.append(wait)
        clock.now += wait
        assert lim.attempt("YS-1", A) == 0.0  # then one more guess
    assert waits[:5] == [1.0, 2.0, 4.0, 8.0, 16.0] and waits[-1] == 900.0  # up to 15 minutes, never a ban


def test_someone_elses_misses_never_refuse_a_client() -> None:
    lim, _ = limiter(target_limit=3)
    for _ in range(20):
        lim.attempt("YS-1", A)
    assert lim.attempt("YS-1", B) == 0.0


def test_one_client_is_slowed_over_all_targets() -> None:
    lim, _ = limiter(target_limit=10, client_limit=5)
    assert [lim.attempt(f"YS-{n}", A) for n in range(5)] == [0.0] * 5
    assert lim.attempt("YS-99", A) == 1.0
    assert lim.attempt("YS-99", B) == 0.0


def test_a_shared_guesser_is_counted_per_target_only() -> None:
    lim, _ = limiter(target_limit=3, client_limit=5)
    bot = Guesser("internal", shared=True)
    assert all(lim.attempt(f"YS-{n}", bot) == 0.0 for n in range(50))
    assert [lim.attempt("YS-1", bot) for _ in range(3)][-1] > 0  # its 2nd and 3rd miss on YS-1, then the wait


def test_a_right_answer_takes_its_guess_back() -> None:
    lim, _ = limiter(target_limit=3, client_limit=5)
    for _ in range(100):  # e.g. a service-hall kiosk looking up cases all day
        assert lim.attempt("YS-1", A) == 0.0
        lim.succeeded("YS-1", A)
    lim.attempt("YS-2", A)
    lim.attempt("YS-2", A)
    lim.succeeded("YS-2", A)  # typed wrong twice, then right: those misses on YS-2 are forgotten
    assert [lim.attempt("YS-2", A) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_counts_are_forgotten_a_window_after_the_last_miss() -> None:
    lim, clock = limiter(target_limit=3)
    for _ in range(3):
        lim.attempt("YS-1", A)
    clock.now += 1.0 + 899.0  # the wait, and most of the window: still remembered
    assert lim.attempt("YS-1", A) == 0.0 and lim.attempt("YS-1", A) == 2.0
    clock.now += 2.0 + 900.0
    assert lim.attempt("YS-1", A) == 0.0 and lim.attempt("YS-1", A) == 0.0


def test_parallel_guesses_cannot_overtake_the_count() -> None:
    lim, _ = limiter(target_limit=10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda _: lim.attempt("YS-1", A), range(200)))
    assert waits.count(0.0) == 10


def test_eviction_drops_the_least_recently_used_count_only() -> None:
    lim, _ = limiter(target_limit=3, max_keys=4)
    for _ in range(3):
        lim.attempt("agent-1", A)  # A is now slowed: its pair key and its client key
    lim.attempt("YS-1", B)  # two more keys: full
    assert lim.attempt("agent-1", A) > 0  # A keeps knocking, so its counts are the recent ones
    lim.attempt("YS-2", C)  # two new keys push out B's, not everything
    assert len(lim) == 4
    assert lim.attempt("agent-1", A) > 0
    assert lim.attempt("YS-1", B) == 0.0  # B starts over: one count less, not every lockout


def test_a_flood_of_lookup_guesses_keeps_a_login_lockout(tmp_path: Path) -> None:
    """Past 100k keys the old limiter cleared every count, staff-API login lockouts included."""
    with gateway_client(make_settings(tmp_path, guess_slowdown_s=600.0)) as client:
        with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
            auth.create_user(session=session, username="agent-1", password=PASSWORD, role="agent")
        attacker = from_address(client, "203.0.113.9")
        codes = [
            attacker.post("/api/staff/login", json={"username": "agent-1", "password": f"guess {i}"}).status_code
            for i in range(6)
        ]
        assert codes[-1] == 429
        lookups = client.app.state.cases.lookups  # type: ignore[attr-defined]
        for n in range(100_001):  # what 100k guessers on as many case numbers leave behind
            lookups.attempt(f"YS20000101-{n:06d}", Guesser(f"ip:10.{n >> 16}.{(n >> 8) & 255}.{n & 255}"))
        assert len(lookups) == 100_000
        resp = attacker.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD})
        assert resp.status_code == 429 and int(resp.headers["retry-after"]) > 500
