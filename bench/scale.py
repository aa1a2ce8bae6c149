"""`python -m bench.scale --json`: /api/chat through nginx with 1 vs 2 gateway+Rasa replicas, and a Rasa kill.

Starts the rig of tools/cluster.py on free loopback ports (PostgreSQL, Redis, nginx, one action server) twice:
with 1 gateway + 1 Rasa, then with 2 + 2. Each gets the closed-loop load of `bench.chat_load` (20 users, turns back
to back, then paced with think time) through nginx. On the 2 + 2 rig a paced load runs while Rasa 2 gets SIGKILL,
counting failed user turns (non-200, transport error, or no messages); degraded turns (answered from search) are
reported, not failed. Gateways run with the breaker off (as bench.chat_load), so every turn tries Rasa.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.chat_load import load, parse_think, questions
from tools.cluster import Cluster, ClusterUnavailable, cluster


async def kill_run(
    base: str,
    *,
    users: int,
    turns: int,
    qs: list[str],
    kill: Callable[[], None],
    kill_after_s: float,
    think_s: tuple[float, float] = (0.0, 0.0),
) -> dict[str, Any]:
    """`users` closed-loop senders through `base` (pausing `think_s` between turns); `kill()` runs once."""
    rng = random.Random(11)
    latencies: list[float] = []
    failed: list[str] = []
    degraded = degraded_after = answered_after = 0
    killed_at: float | None = None
    last_degraded = 0.0  # perf_counter when the last degraded turn after the kill started

    async def user(n: int, client: httpx.AsyncClient) -> None:
        nonlocal degraded, degraded_after, answered_after, last_degraded
        sender = f"kill-{n}-{os.getpid()}-{time.time_ns()}"
        for t in range(turns):
            if t and think_s[1] > 0:
                await asyncio.sleep(rng.uniform(*think_s))
            body = {"sender": sender, "message": qs[(n * turns + t) % len(qs)]}
            t0 = time.perf_counter()
            try:
                resp = await client.post(base + "/api/chat", json=body)
            except httpx.HTTPError as exc:
                failed.append(f"{type(exc).__name__} ({sender} turn {t})")
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            data = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
            if resp.status_code != 200 or not data.get("messages"):
                failed.append(
                    f"status {resp.status_code}, {len(data.get('messages') or [])} messages ({sender} turn {t})"
                )
                continue
            is_degraded = bool(data["meta"].get("degraded"))
            degraded += is_degraded
            if killed_at is not None and t0 >= killed_at:
                degraded_after += is_degraded
                answered_after += not is_degraded
                if is_degraded:
                    last_degraded = max(last_degraded, t0)

    async def killer() -> None:
        nonlocal killed_at
        await asyncio.sleep(kill_after_s)
        await asyncio.to_thread(kill)
        killed_at = time.perf_counter()

    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
        t0 = time.perf_counter()
        await asyncio.gather(killer(), *(user(n, client) for n in range(users)))
        wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {
        "users": users,
        "turns": users * turns,
        "failed": len(failed),
        "failures": failed[:10],
        "degraded": degraded,
        "after_kill": {
            "answered_by_rasa": answered_after,
            "degraded": degraded_after,
            # turns started later than this after the kill were all answered by Rasa again
            "last_degraded_s": round(last_degraded - killed_at, 1) if killed_at and last_degraded else None,
            "run_s_after_kill": round(t0 + wall - killed_at, 1) if killed_at else None,
        },
        "p50_ms": round(statistics.median(latencies), 1) if n else None,
        "p95_ms": round(latencies[min(n - 1, int(0.95 * n))], 1) if n else None,
        "max_ms": round(latencies[-1], 1) if n else None,
        "turns_per_s": round(n / wall, 1) if wall else None,
        "killed_after_s": kill_after_s,
        "think_s": list(think_s),
    }


def measure(c: Cluster, *, users: int, turns: int, think_s: tuple[float, float], tag: str) -> dict[str, Any]:
    """The load of bench.chat_load through nginx, how many turns Rasa answered per second, and the Rasa spread."""
    since = time.time()
    out = asyncio.run(load(c.public_url, users, turns, questions(), tag=tag, think_s=think_s))
    n, rate = out["ok"] + out["errors"], out["turns_per_s"]
    # degraded turns are cheap search answers: the capacity figure is what Rasa itself answered
    out["rasa_answered_per_s"] = round((out["ok"] - out["degraded"]) * rate / n, 1) if n and rate else None
    hits = c.rasa_hits(since)
    out["rasa_turns"] = {
        f"rasa-{i}": sum(1 for _, up, _ in hits if url.endswith(up)) for i, url in enumerate(c.rasa_urls, 1)
    }
    return out


def measure_rig(c: Cluster, *, users: int, turns: int, think_s: tuple[float, float], tag: str) -> dict[str, Any]:
    return {
        "saturated": measure(c, users=users, turns=turns, think_s=(0.0, 0.0), tag=f"{tag}-sat"),
        "paced": measure(c, users=users, turns=turns, think_s=think_s, tag=f"{tag}-paced"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="turns per user")
    parser.add_argument("--kill-turns", type=int, default=12, help="turns per user in the paced Rasa-kill run")
    parser.add_argument("--think", default="2,6", help="MIN,MAX seconds a paced user reads between turns")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"cores": os.cpu_count(), "budget_s": 3.0}
    think = parse_think(args.think)
    env = {"CASE_BACKGROUND": "false", "CHAT_BREAKER_FAILURES": "0"}  # as bench.chat_load: every turn tries Rasa
    try:
        with (
            tempfile.TemporaryDirectory(prefix="scale-bench-") as d,
            cluster(Path(d), replicas=1, gateway_env=env) as c,
        ):
            report["one_replica"] = measure_rig(c, users=args.users, turns=args.turns, think_s=think, tag="one")
        with (
            tempfile.TemporaryDirectory(prefix="scale-bench-") as d,
            cluster(Path(d), replicas=2, gateway_env=env) as c,
        ):
            report["two_replicas"] = measure_rig(c, users=args.users, turns=args.turns, think_s=think, tag="two")
            kill = functools.partial(c.kill, "rasa-2")
            run = kill_run(
                c.public_url,
                users=args.users,
                turns=args.kill_turns,
                qs=questions(),
                kill=kill,
                kill_after_s=15,
                think_s=think,
            )
            report["rasa_kill"] = asyncio.run(run)
    except ClusterUnavailable as exc:
        report["skipped"] = str(exc)
    if args.json:
        print(json.dumps({"scale": report}, ensure_ascii=False))
    else:
        for k, v in report.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
