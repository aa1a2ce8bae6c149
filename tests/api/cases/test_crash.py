"""kill -9 during a burst of creates: every case that got a 201 survives, and its events still reach the receiver."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.fake_receiver import FakeReceiver
from tools.services import free_port

ROOT = Path(__file__).resolve().parents[3]
SECRET = "crash-test-secret"


@contextmanager
def server(db: Path, webhook: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "test",
        "LOAD_SEARCHER": "false",
        "DATABASE_URL": f"sqlite:///{db}",
        "CASE_WEBHOOK_URL": webhook,
        "CASE_WEBHOOK_SECRET": SECRET,
        "CASE_OUTBOX_INTERVAL_S": "0.05",
        "CASE_OUTBOX_BACKOFF_S": "0.02",
        "CASE_OUTBOX_MAX_ATTEMPTS": "1000",
        "CASE_OUTBOX_LEASE_S": "1",
        "CASE_RATE_IP_BURST": "100000",  # a burst from one address and one phone is the point here
        "CASE_RATE_PHONE_BURST": "100000",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_kill_9_during_burst(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    log = tmp_path / "server.log"
    accepted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def burst(base: str, worker: int) -> None:
        with httpx.Client(base_url=base, timeout=5) as http:
            i = 0
            while not stop.is_set():
                i += 1
                body = {
                    "category": "other",
                    "description": f"压测 {worker}-{i}",
                    "phone": "13812345678",
                    "channel": "widget",
                    "idempotency_key": f"crash-{worker}-{i}",
                }
                try:
                    resp = http.post("/api/cases", json=body)
                except httpx.HTTPError:
                    return  # the server is gone
                if resp.status_code == 201:
                    with lock:
                        accepted.append(resp.json()["case_no"])

    with FakeReceiver(SECRET, fail_rate=0.25, lost_ack_rate=0.15, seed=3) as receiver:
        with server(db, receiver.url, log) as (proc, base):
            threads = [threading.Thread(target=burst, args=(base, w)) for w in range(6)]
            for t in threads:
                t.start()
            while len(accepted) < 80:
                time.sleep(0.01)
            proc.kill()  # SIGKILL mid-burst: no shutdown hooks, requests in flight
            proc.wait()
            stop.set()
            for t in threads:
                t.join()
        assert len(accepted) >= 80 and len(set(accepted)) == len(accepted)

        with server(db, receiver.url, log) as (_proc, base), httpx.Client(base_url=base) as http:
            for no in accepted:
                assert http.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).status_code == 200, no
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with sqlite3.connect(db) as conn:
                    pending = conn.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]
                if pending == 0:
                    break
                time.sleep(0.2)
            assert pending == 0, "outbox did not drain after the restart"

    with sqlite3.connect(db) as conn:
        event_ids = {r[0] for r in conn.execute("SELECT event_id FROM outbox")}
        stored = {r[0] for r in conn.execute("SELECT case_no FROM cases")}
    assert set(accepted) <= stored
    assert receiver.unique_ids() == event_ids
    assert len(receiver.received) == len(event_ids)
    assert receiver.bad_signatures == 0
    created_for = {e["case"]["case_no"] for e in receiver.received if e["type"] == "created"}
    assert created_for == stored
