"""`python -m bench.index_swap --json`: an editor changes a guide while 20 citizens use the gateway.

Starts a gateway (Rasa down: every chat turn is answered from the searcher being swapped) on a copy of
the guides and the index, with hot reload on. Users ask back to back, or paced with think time; after a
few seconds one guide gets a new alias. The gateway validates the guides, rebuilds the index in the
background and swaps it in. Reported: requests and failed ones (non-200, transport error, no answer),
seconds from the edit to the swap, latency before and during the rebuild.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.chat_load import gateway, parse_think, questions
from tools.services import free_port

ROOT = Path(__file__).resolve().parent.parent
NEW_ALIAS = "猫猫证怎么补办"  # no guide says this; the edit below makes it an alias of GUIDE
GUIDE = "ss-card-replace"


def _pct(xs: list[float], p: float) -> float | None:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p * len(xs)))], 1) if xs else None


async def run(
    base: str, guides: Path, *, users: int, think_s: tuple[float, float], edit_after_s: float, max_s: float
) -> dict[str, Any]:
    qs = questions()
    rng = random.Random(11)
    lat_before: list[float] = []
    lat_during: list[float] = []
    failures: list[str] = []
    requests = 0
    edited_at: float | None = None
    swapped_at: float | None = None
    stop = asyncio.Event()

    async def user(n: int, client: httpx.AsyncClient) -> None:
        nonlocal requests
        t = 0
        while not stop.is_set():
            if think_s[1] > 0:
                await asyncio.sleep(rng.uniform(*think_s))
            q = qs[(n * 37 + t) % len(qs)]
            t += 1
            t0 = time.perf_counter()
            try:
                if t % 2:
                    resp = await client.post(base + "/api/chat", json={"sender": f"reload-{n}", "message": q})
                    ok = resp.status_code == 200 and bool(resp.json().get("messages"))
                else:
                    resp = await client.get(base + "/api/search", params={"q": q, "k": 3})
                    ok = resp.status_code == 200 and "hits" in resp.json()
                why = "" if ok else f"{resp.status_code}"
            except httpx.HTTPError as exc:
                ok, why = False, type(exc).__name__
            took = (time.perf_counter() - t0) * 1000
            requests += 1
            (lat_during if edited_at is not None and swapped_at is None else lat_before).append(took)
            if not ok:
                failures.append(why)

    async def editor(client: httpx.AsyncClient) -> None:
        nonlocal edited_at, swapped_at
        await asyncio.sleep(edit_after_s)
        path = guides / "items" / f"{GUIDE}.yml"
        text = path.read_text(encoding="utf-8").replace("aliases:\n", f"aliases:\n  - {NEW_ALIAS}\n", 1)
        path.write_text(text, encoding="utf-8")
        edited_at = time.perf_counter()
        deadline = edited_at + max_s
        while time.perf_counter() < deadline:
            hits = (await client.get(base + "/api/search", params={"q": NEW_ALIAS, "k": 1})).json()["hits"]
            if hits and hits[0]["id"] == GUIDE:
                swapped_at = time.perf_counter()
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(5.0)  # keep the load on after the swap
        stop.set()

    limits = httpx.Limits(max_connections=users + 1, max_keepalive_connections=users + 1)
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
        await asyncio.gather(editor(client), *(user(n, client) for n in range(users)))
    return {
        "users": users,
        "think_s": list(think_s),
        "requests": requests,
        "failed": len(failures),
        "failures": failures[:10],
        "edit_to_swap_s": round(swapped_at - edited_at, 1) if swapped_at and edited_at else None,
        "p50_ms_before": round(statistics.median(lat_before), 1) if lat_before else None,
        "p95_ms_before": _pct(lat_before, 0.95),
        "p50_ms_during_rebuild": round(statistics.median(lat_during), 1) if lat_during else None,
        "p95_ms_during_rebuild": _pct(lat_during, 0.95),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.index_swap")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", default="2,6", help="MIN,MAX seconds between a user's requests; 0,0 = back to back")
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "index", help="the index to copy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.index / "manifest.json").is_file():
        print(f"no index in {args.index}: run `python -m index build` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="reload-bench-") as d:
        tmp = Path(d)
        shutil.copytree(ROOT / "guides", tmp / "guides")
        shutil.copytree(args.index, tmp / "index")
        env = {"GUIDES_DIR": str(tmp / "guides"), "INDEX_DIR": str(tmp / "index"), "INDEX_WATCH_S": "0.5"}
        dead = f"http://127.0.0.1:{free_port()}"
        with gateway(tmp, dead, free_port(), breaker=True, env=env) as base:
            think = parse_think(args.think)
            out = asyncio.run(run(base, tmp / "guides", users=args.users, think_s=think, edit_after_s=5.0, max_s=600.0))
    report = {"index_swap": {"cores": os.cpu_count(), **out}}
    print(json.dumps(report, ensure_ascii=False) if args.json else report)
    return 0 if out["failed"] == 0 and out["edit_to_swap_s"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
