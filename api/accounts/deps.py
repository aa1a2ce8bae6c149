"""Dependency aliases of the staff API's logins: `CurrentStaff`, role checks, and the login guess counts."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.accounts.auth import Role, user_for_token
from api.accounts.models import StaffUser
from api.chat.content import load_messages
from api.core import wording
from api.core.deps import SessionDep, get_app_settings
from api.core.guesses import GuessLimiter

TOKEN_COOKIE = "staff_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_login_limiter(request: Request) -> GuessLimiter:
    """Wrong passwords, console and staff API together (api/accounts/runtime.py)."""
    logins: GuessLimiter = request.app.state.logins
    return logins


LoginLimiterDep = Annotated[GuessLimiter, Depends(get_login_limiter)]


def header_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def bearer_token(request: Request) -> str | None:
    return header_token(request) or request.cookies.get(TOKEN_COOKIE)


def staff_csrf(request: Request, token: str) -> str:
    """Bound to the session token under the app's secret; a cookie client reads it from GET /api/staff/me."""
    key = get_app_settings(request).secret_key.encode()
    return hmac.new(key, b"staff-csrf|" + token.encode(), hashlib.sha256).hexdigest()


def _check_csrf(request: Request, token: str) -> None:
    """The browser adds the cookie to any site's post by itself (SameSite aside), never this header."""
    if request.method in SAFE_METHODS or header_token(request) is not None:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), staff_csrf(request, token).encode()):
        raise HTTPException(status_code=403, detail=load_messages().text("cases", "csrf"))


def get_current_staff(request: Request, session: SessionDep) -> StaffUser:
    token = bearer_token(request)
    user = user_for_token(session=session, token=token) if token else None
    if user is None:
        raise HTTPException(
            status_code=401,
            detail=wording.text("gateway", "accounts.login_required"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    _check_csrf(request, token or "")
    # a one-time password gets no further than the console's password page, not even as a console token sent here
    if user.must_change_password:
        raise HTTPException(status_code=403, detail=load_messages().text("cases", "change_password_first"))
    return user


CurrentStaff = Annotated[StaffUser, Depends(get_current_staff)]


def require(role: Role) -> Callable[[StaffUser], StaffUser]:
    def check(user: CurrentStaff) -> StaffUser:
        if Role.parse(user.role) < role:
            raise HTTPException(status_code=403, detail=wording.text("gateway", "accounts.no_permission"))
        return user

    return check


SupervisorUser = Annotated[StaffUser, Depends(require(Role.SUPERVISOR))]
AdminUser = Annotated[StaffUser, Depends(require(Role.ADMIN))]
