"""`python -m api db backup --to PATH`: SQLite through its online backup API, PostgreSQL through pg_dump.

The SQLite copy is taken while the gateway keeps writing: in WAL mode a reader sees one consistent
snapshot and does not block writers, so the whole database is copied in one step (a stepwise copy
would restart every time another connection writes). For PostgreSQL the command only prints the
pg_dump line to run: the password never goes on a command line, pg_dump reads it from ~/.pgpass or
PGPASSWORD.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from api.core.db import is_sqlite

PG_DUMP_NOT_RUN = 3  # exit status: nothing was written, the printed pg_dump command does the backup


class BackupError(Exception):
    """The backup could not be made or did not verify."""


def target_file(dest: Path, *, suffix: str, now: datetime | None = None) -> Path:
    """An existing folder gets a time-stamped file name (`cases-20250101T020000Z.db`); anything else is the file."""
    if dest.is_dir():
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        return dest / f"cases-{stamp}{suffix}"
    return dest


def backup_sqlite(source: Path, dest: Path) -> int:
    """Copy a live SQLite database to `dest` (one self-contained file, rollback journal); returns its size."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(part)
        try:
            src.backup(dst)  # pages=-1: one step, one snapshot; WAL writers carry on meanwhile
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one file, no -wal beside it
            check = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if not check or check[0] != "ok":
        part.unlink(missing_ok=True)
        raise BackupError(f"integrity check of the copy failed: {check}")
    os.replace(part, dest)  # a reader of `dest` never sees half a file
    return dest.stat().st_size


def pg_dump_command(url: str, dest: Path) -> list[str]:
    """pg_dump in custom format (for pg_restore), the connection string without its password."""
    u = make_url(url)
    bare = URL.create("postgresql", u.username, None, u.host, u.port, u.database, u.query)  # no password, ever
    conninfo = bare.render_as_string(hide_password=False)
    return ["pg_dump", "--format=custom", "--no-owner", f"--dbname={conninfo}", f"--file={dest}"]


def run(url: str, dest: Path) -> int:
    """Back up the case database named by `url`; prints what it did, returns the exit status."""
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            print("error: an in-memory database has nothing to back up", file=sys.stderr)
            return 2
        target = target_file(dest, suffix=".db")
        try:
            size = backup_sqlite(Path(database), target)
        except (BackupError, sqlite3.Error) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"backed up {database} -> {target} ({size} bytes, integrity ok)")
        return 0
    target = target_file(dest, suffix=".dump")
    print(shlex.join(pg_dump_command(url, target)))
    print(
        "not run: this is PostgreSQL. Run the pg_dump line above where pg_dump is installed, with the password "
        "in ~/.pgpass or PGPASSWORD (never on the command line); restore with pg_restore --clean --dbname=...",
        file=sys.stderr,
    )
    return PG_DUMP_NOT_RUN
