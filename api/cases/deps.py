"""Dependency aliases of the case routers (`CaseSessionDep`, `CurrentStaff`, role checks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.cases.auth import Role, user_for_token
from api.cases.config import CaseConfig
from api.cases.models import StaffUser
from api.cases.runtime import CasesRuntime

TOKEN_COOKIE = "staff_token"


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


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(TOKEN_COOKIE)


def get_current_staff(request: Request, session: CaseSessionDep) -> StaffUser:
    token = bearer_token(request)
    user = user_for_token(session=session, token=token) if token else None
    if user is None:
        raise HTTPException(status_code=401, detail="请先登录", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentStaff = Annotated[StaffUser, Depends(get_current_staff)]


def require(role: Role) -> Callable[[StaffUser], StaffUser]:
    def check(user: CurrentStaff) -> StaffUser:
        if Role.parse(user.role) < role:
            raise HTTPException(status_code=403, detail="您的账号没有这个权限")
        return user

    return check


SupervisorUser = Annotated[StaffUser, Depends(require(Role.SUPERVISOR))]
AdminUser = Annotated[StaffUser, Depends(require(Role.ADMIN))]
