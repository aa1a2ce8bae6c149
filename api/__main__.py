"""Gateway command line: `python -m api users create|reset-password`, `python -m api db upgrade|backup --to PATH`."""

from __future__ import annotations

import argparse

from api.cases import cli as cases_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api")
    sub = parser.add_subparsers(dest="cmd", required=True)
    cases_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    return cases_cli.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
