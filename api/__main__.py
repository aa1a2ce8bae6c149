"""Gateway command line: `python -m api users create|reset-password`, `python -m api db upgrade|backup --to PATH`."""

from __future__ import annotations

import argparse

from api.accounts import cli as users_cli
from api.core import cli as db_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api")
    sub = parser.add_subparsers(dest="cmd", required=True)
    users_cli.add_parser(sub)
    db_cli.add_parser(sub)
    args = parser.parse_args(argv)
    return db_cli.run(args) if args.cmd == "db" else users_cli.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
