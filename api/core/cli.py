"""`python -m api db upgrade|backup --to PATH`: the database's migrations and backups, no gateway needed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.core import backup
from api.core.db import Database
from api.settings import get_settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="case database: upgrade (migrations) or backup --to PATH (see api/core/backup.py)")
    db.add_argument("db_cmd", choices=["upgrade", "backup"])
    db.add_argument("--to", type=Path, help="backup: a file, or a folder for a time-stamped file")


def run(args: argparse.Namespace) -> int:
    if args.db_cmd == "backup":  # before connecting: a backup never migrates
        if args.to is None:
            print("error: db backup needs --to PATH", file=sys.stderr)
            return 2
        return backup.run(get_settings().database_url, args.to)
    db = Database.connect(get_settings().database_url, pool_size=1)
    try:
        db.upgrade()
        print("database is at the latest migration")
        return 0
    finally:
        db.dispose()
