"""`python -m api db backup --to PATH`: a consistent SQLite copy while writes go on; pg_dump printed, never run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from api.core import backup
from api.core.db import Database

ROOT = Path(__file__).resolve().parents[3]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "api", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _live_db(path: Path) -> str:
    """A migrated case database in WAL mode, as the gateway leaves it, plus a table the writer fills."""
    url = f"sqlite:///{path}"
    db = Database.connect(url, pool_size=1)
    db.upgrade()
    db.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        conn.execute("CREATE TABLE writes (n INTEGER PRIMARY KEY, pad TEXT NOT NULL)")
    return url


class Writer(threading.Thread):
    """Inserts rows in small transactions until stopped, like the gateway filing cases."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.committed = 0

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                for _ in range(5):
                    self.committed += 1
                    conn.execute("INSERT INTO writes (n, pad) VALUES (?, ?)", (self.committed, "x" * 200))
                conn.execute("COMMIT")
        finally:
            conn.close()


def test_sqlite_backup_while_writing(tmp_path: Path) -> None:
    live = tmp_path / "cases.db"
    url = _live_db(live)
    writer = Writer(live)
    writer.start()
    try:
        while writer.committed < 2000:  # the live file has grown well past one page batch
            time.sleep(0.01)
        before = writer.committed
        done = _cli(url, "db", "backup", "--to", str(tmp_path / "out" / "copy.db"))
        after = writer.committed
    finally:
        writer.stop.set()
        writer.join(10)
    assert done.returncode == 0, done.stderr
    assert "integrity ok" in done.stdout
    copy = tmp_path / "out" / "copy.db"
    assert not (tmp_path / "out" / "copy.db.part").exists()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, nothing beside it
        rows, top = conn.execute("SELECT count(*), max(n) FROM writes").fetchone()
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    assert rows == top  # a snapshot: no gaps, every committed transaction whole
    assert rows % 5 == 0
    assert after > before  # the writer kept committing while the backup ran
    assert before - 5 <= rows <= after + 5
    with sqlite3.connect(live) as conn:  # the live database carried on
        assert conn.execute("SELECT count(*) FROM writes").fetchone()[0] >= after


def test_backup_into_a_folder_gets_a_timestamped_name(tmp_path: Path) -> None:
    live = tmp_path / "cases.db"
    url = _live_db(live)
    folder = tmp_path / "backups"
    folder.mkdir()
    assert backup.run(url, folder) == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("cases-") and made.suffix == ".db"
    stamp = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert backup.target_file(folder, suffix=".db", now=stamp).name == "cases-20250102T030405Z.db"


def test_backup_of_a_missing_database_fails(tmp_path: Path) -> None:
    assert backup.run(f"sqlite:///{tmp_path / 'nope.db'}", tmp_path / "copy.db") == 1
    assert not (tmp_path / "nope.db").exists()  # the backup never creates or migrates the source
    assert _cli(f"sqlite:///{tmp_path / 'x.db'}", "db", "backup").returncode == 2  # --to is required


def test_postgres_prints_pg_dump_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://baihua:s3cr3t-pw@db.internal:5433/cases?sslmode=require"
    done = _cli(url, "db", "backup", "--to", str(tmp_path / "cases.dump"))
    assert done.returncode == backup.PG_DUMP_NOT_RUN
    assert "s3cr3t-pw" not in done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("pg_dump --format=custom --no-owner ")
    assert "postgresql://baihua@db.internal:5433/cases?sslmode=require" in line
    assert f"--file={tmp_path / 'cases.dump'}" in line
    assert "PGPASSWORD" in done.stderr
