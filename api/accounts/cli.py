"""`python -m api users create|reset-password|bootstrap-admin`: staff accounts without the console."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy.exc import IntegrityError

from api.accounts import auth
from api.accounts.bootstrap import bootstrap_admin
from api.core import wording
from api.core.db import Database
from api.settings import get_settings


def _password(args: argparse.Namespace) -> str:
    """From stdin for scripts (--password-stdin), else an interactive prompt typed twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("STAFF_PASSWORD")
    if env:
        return env
    first = getpass.getpass(wording.text("gateway", "accounts.password_prompt"))
    if first != getpass.getpass(wording.text("gateway", "accounts.password_again")):
        raise SystemExit("passwords differ")
    return first


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="staff accounts of the case console")
    usub = users.add_subparsers(dest="users_cmd", required=True)
    create = usub.add_parser("create", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--role", choices=[r.name.lower() for r in auth.Role], default="agent")
    create.add_argument("--name", default="")
    create.add_argument("--department")
    create.add_argument("--password-stdin", action="store_true")
    reset = usub.add_parser("reset-password", help="set a new password and end the user's sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    boot = usub.add_parser("bootstrap-admin", help="first admin with a one-time password; no-op if one exists")
    boot.add_argument("--username", default="admin")


def _bootstrap_admin(db: Database, username: str) -> int:
    with db.sessions() as session:
        password = bootstrap_admin(session=session, username=username)
    if password is None:
        print("an admin account already exists; nothing changed")
    else:
        print(f"created the first admin: {username}")
        print(f"one-time password (shown once; change it at first login on /console): {password}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Migrates first, like the gateway, so the command works on a fresh database."""
    db = Database.connect(get_settings().database_url, pool_size=1)
    try:
        db.upgrade()
        if args.users_cmd == "bootstrap-admin":
            return _bootstrap_admin(db, args.username)
        password = _password(args)
        with db.sessions() as session:
            try:
                if args.users_cmd == "create":
                    user = auth.create_user(
                        session=session,
                        username=args.username,
                        password=password,
                        role=args.role,
                        display_name=args.name,
                        department=args.department,
                    )
                    print(f"created {user.username} ({user.role})")
                else:
                    auth.reset_password(session=session, username=args.username, password=password)
                    print(f"password changed for {args.username}; old sessions ended")
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            except IntegrityError:
                print(f"error: user {args.username} already exists", file=sys.stderr)
                return 2
            except LookupError:
                print(f"error: no user {args.username}", file=sys.stderr)
                return 2
        return 0
    finally:
        db.dispose()
