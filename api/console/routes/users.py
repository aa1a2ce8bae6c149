"""`/console/users` (admin): the staff accounts, and new ones with a one-time password shown once."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.accounts import auth
from api.accounts.auth import Role
from api.accounts.models import StaffUser
from api.console.forms import FormDep
from api.console.pages import ConsoleRoute, render
from api.console.security import AdminUser
from api.core import wording
from api.core.deps import SessionDep

router = APIRouter(route_class=ConsoleRoute)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: AdminUser, session: SessionDep) -> Response:
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(request, "users.html", user=user, rows=rows, roles=[r.name.lower() for r in Role])


@router.post("/users")
def create_user(request: Request, form: FormDep, user: AdminUser, session: SessionDep) -> Response:
    """A new account gets a one-time password shown once; its owner must change it at first login."""
    username = (form.get("username") or "").strip()[:64]
    role = form.get("role", "agent")
    if not username or role not in {r.name.lower() for r in Role}:
        raise HTTPException(status_code=422, detail=wording.text("console", "users.missing"))
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise HTTPException(status_code=409, detail=wording.text("console", "users.taken"))
    password = one_time_password()
    created = auth.create_user(
        session=session,
        username=username,
        password=password,
        role=role,
        display_name=(form.get("display_name") or "").strip()[:64],
        department=(form.get("department") or "").strip()[:64] or None,
    )
    created.must_change_password = True
    session.commit()
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(
        request,
        "users.html",
        201,
        user=user,
        rows=rows,
        roles=[r.name.lower() for r in Role],
        created=(username, password),
    )


def one_time_password() -> str:
    return secrets.token_urlsafe(12)
