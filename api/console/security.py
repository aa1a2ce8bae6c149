"""Console sessions: the case system's staff tokens in an HttpOnly SameSite=Strict cookie, CSRF on every post."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.accounts.auth import Role, user_for_token
from api.accounts.models import StaffUser
from api.core import wording
from api.core.deps import SessionDep

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# while a password must be changed, only these paths answer
PASSWORD_PATHS = frozenset({"/console/password", "/console/logout"})


class LoginRequired(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=401, detail=wording.text("console", "access.login_required"))


def csrf_for(request: Request, session_token: str) -> str:
    """Bound to the session: HMAC of the session token under the app's secret key."""
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"console-csrf|" + session_token.encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def _current(request: Request, session: SessionDep) -> StaffUser:
    """Sync on purpose: FastAPI runs it in the threadpool, so a database wait never blocks the event loop."""
    token = request.cookies.get(SESSION_COOKIE)
    user = user_for_token(session=session, token=token) if token else None
    if user is None:
        raise LoginRequired()
    session.expunge(user)
    session.rollback()  # end the read now: SQLite takes its write lock at BEGIN, and the page may take a while
    request.state.console_token = token
    request.state.console_user = user
    request.state.csrf = csrf_for(request, token or "")
    return user


async def _check_csrf(request: Request) -> None:
    if request.method in ("GET", "HEAD"):
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not given or not hmac.compare_digest(given.encode(), str(request.state.csrf).encode()):
        raise HTTPException(status_code=403, detail=wording.text("console", "access.csrf"))


def require(role: Role) -> Callable[..., Awaitable[StaffUser]]:
    """Login, then the role, then (for posts) the CSRF token; a password that must change blocks everything else."""

    async def check(request: Request, user: Annotated[StaffUser, Depends(_current)]) -> StaffUser:
        if user.must_change_password and request.url.path not in PASSWORD_PATHS:
            raise HTTPException(status_code=303, headers={"Location": "/console/password"})
        if Role.parse(user.role) < role:
            raise HTTPException(status_code=403, detail=wording.text("console", "access.no_permission"))
        await _check_csrf(request)
        return user

    return check


AgentUser = Annotated[StaffUser, Depends(require(Role.AGENT))]
SupervisorUser = Annotated[StaffUser, Depends(require(Role.SUPERVISOR))]
AdminUser = Annotated[StaffUser, Depends(require(Role.ADMIN))]
