"""The first admin: created at setup with a one-time password that must be changed at first login."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import auth
from api.accounts.models import StaffUser
from api.core import wording


def has_admin(*, session: Session) -> bool:
    return (
        session.scalar(select(StaffUser.id).where(StaffUser.role == "admin", StaffUser.active.is_(True)).limit(1))
        is not None
    )


def bootstrap_admin(*, session: Session, username: str = "admin") -> str | None:
    """Create the first admin and return its one-time password; None (and no change) when an admin exists."""
    if has_admin(session=session):
        return None
    password = secrets.token_urlsafe(15)
    user = auth.create_user(
        session=session,
        username=username,
        password=password,
        role="admin",
        display_name=wording.text("gateway", "accounts.first_admin_name"),
    )
    user.must_change_password = True
    session.commit()
    return password
