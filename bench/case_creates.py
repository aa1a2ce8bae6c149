"""`make bench` part: case creates per second on SQLite and on a throwaway PostgreSQL, printed as JSON."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from api.cases import service
from api.cases.config import load_config
from api.cases.schemas import CaseCreate
from api.core.db import Database
from tools.pg_throwaway import PostgresUnavailable, ThrowawayPostgres

CONFIG = load_config(forwarding_enabled=True)  # the outbox on, as in a deployment that forwards


def _one(db: Database, i: int) -> None:
    case_in = CaseCreate(
        category="cannot-get-done",
        description=f"基准测试第 {i} 件：材料齐全却没办成",
        phone="13812345678",
        channel="widget",
        idempotency_key=f"bench-{i}",
    )
    with db.sessions() as session:
        service.create_case(session=session, case_in=case_in, config=CONFIG)


def measure(url: str, n: int, threads: int) -> dict[str, float]:
    """Sequential and threaded creates on a freshly migrated database, with the outbox on as in production."""
    db = Database.connect(url, pool_size=threads)
    db.upgrade()
    try:
        _one(db, -1)  # warm-up: connections, caches
        t = time.perf_counter()
        for i in range(n):
            _one(db, i)
        sequential = n / (time.perf_counter() - t)
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda i: _one(db, i), range(n, 3 * n)))
        threaded = 2 * n / (time.perf_counter() - t)
    finally:
        db.dispose()
    return {"sequential_per_s": round(sequential, 1), f"threads_{threads}_per_s": round(threaded, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.case_creates")
    parser.add_argument("--n", type=int, default=300, help="creates per run (the threaded run does twice as many)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON")
    args = parser.parse_args(argv)
    out: dict[str, object] = {"what": "case creates per second (create_case + timeline + outbox, committed)"}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.n, args.threads)
    try:
        pg = ThrowawayPostgres.start(durable=True)
    except PostgresUnavailable as exc:
        out["postgresql"] = {"skipped": str(exc)}
    else:
        try:
            out["postgresql"] = measure(pg.create_database("bench"), args.n, args.threads)
        finally:
            pg.stop()
    print(json.dumps({"case_creates": out}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
