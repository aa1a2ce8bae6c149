"""Staff authentication: argon2 password hashes, opaque bearer tokens stored hashed, three roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts.models import StaffToken, StaffUser
from api.core.clock import utcnow

_hasher = PasswordHasher()
# Verifying against this when the user is unknown keeps the response time the same as a wrong password.
_DUMMY_HASH = _hasher.hash("no-such-user")
MIN_PASSWORD = 10


class Role(IntEnum):
    AGENT = 1
    SUPERVISOR = 2
    ADMIN = 3

    @classmethod
    def parse(cls, name: str) -> Role:
        return cls[name.upper()]


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must be at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(
    *, session: Session, username: str, password: str, role: str, display_name: str = "", department: str | None = None
) -> StaffUser:
    Role.parse(role)
    user = StaffUser(
        username=username,
        password_hash=hash_password(password),
        role=role.lower(),
        display_name=display_name or username,
        department=department,
        active=True,
    )
    session.add(user)
    session.commit()
    return user


def reset_password(*, session: Session, username: str, password: str) -> StaffUser:
    """A new password also ends every session issued before it."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise LookupError(username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    for token in session.scalars(
        select(StaffToken).where(StaffToken.user_id == user.id, StaffToken.revoked_at.is_(None))
    ):
        token.revoked_at = user.password_changed_at
    session.commit()
    return user


def login_key(username: str) -> str:
    """What login guesses are counted against: one account, however its name is typed."""
    return username.strip().lower()


def authenticate(*, session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: StaffUser, ttl: timedelta) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    session.add(StaffToken(token_hash=_token_hash(token), user_id=user.id, expires_at=expires))
    session.commit()
    return token, expires


def revoke_token(*, session: Session, token: str) -> None:
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()


def user_for_token(*, session: Session, token: str) -> StaffUser | None:
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = row.user
    if not user.active or row.created_at < user.password_changed_at:
        return None
    return user
