"""Dependency aliases of the case routers (`CaseSessionDep`, `CurrentStaff`, role checks)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.cases.auth import Role, user_for_token
from api.cases.config import CaseConfig
from api.cases.guesses import Guesser
from api.cases.models import StaffUser
from api.cases.runtime import CasesRuntime
from api.chat.content import load_messages
from api.deps import client_ip, internal_caller

TOKEN_COOKIE = "staff_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> CasesRuntime:
    runtime: CasesRuntime = request.app.state.cases
    if not runtime.ready:
        raise HTTPException(status_code=503, detail="投诉受理系统暂时不可用，请稍后再试，或拨打 12345 热线")
    return runtime


RuntimeDep = Annotated[CasesRuntime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.db.sessions() as session:
        yield session


def get_case_config(runtime: RuntimeDep) -> CaseConfig:
    return runtime.config


CaseSessionDep = Annotated[Session, Depends(get_session)]
CaseConfigDep = Annotated[CaseConfig, Depends(get_case_config)]


def header_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def bearer_token(request: Request) -> str | None:
    return header_token(request) or request.cookies.get(TOKEN_COOKIE)


def staff_csrf(request: Request, token: str) -> str:
    """Bound to the session token under the app's secret; a cookie client reads it from GET /api/staff/me."""
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"staff-csrf|" + token.encode(), hashlib.sha256).hexdigest()


def _check_csrf(request: Request, token: str) -> None:
    """The browser adds the cookie to any site's post by itself (SameSite aside), never this header."""
    if request.method in SAFE_METHODS or header_token(request) is not None:
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), staff_csrf(request, token).encode()):
        raise HTTPException(status_code=403, detail=load_messages().text("cases", "csrf"))


def get_current_staff(request: Request, session: CaseSessionDep) -> StaffUser:
    token = bearer_token(request)
    user = user_for_token(session=session, token=token) if token else None
    if user is None:
        raise HTTPException(status_code=401, detail="请先登录", headers={"WWW-Authenticate": "Bearer"})
    _check_csrf(request, token or "")
    # a one-time password gets no further than the console's password page, not even as a console token sent here
    if user.must_change_password:
        raise HTTPException(status_code=403, detail=load_messages().text("cases", "change_password_first"))
    return user


CurrentStaff = Annotated[StaffUser, Depends(get_current_staff)]


def get_guesser(request: Request) -> Guesser:
    """Who guesses, by address; the action server's address is every chat user's, so it counts per target only."""
    if internal_caller(request):
        return Guesser("internal", shared=True)
    return Guesser(f"ip:{client_ip(request)}")


GuesserDep = Annotated[Guesser, Depends(get_guesser)]


def require(role: Role) -> Callable[[StaffUser], StaffUser]:
    def check(user: CurrentStaff) -> StaffUser:
        if Role.parse(user.role) < role:
            raise HTTPException(status_code=403, detail="您的账号没有这个权限")
        return user

    return check


SupervisorUser = Annotated[StaffUser, Depends(require(Role.SUPERVISOR))]
AdminUser = Annotated[StaffUser, Depends(require(Role.ADMIN))]
