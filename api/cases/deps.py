"""Dependency aliases of the case routers (`RuntimeDep`, `CaseConfigDep`, who guesses a case number)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.cases.config import CaseConfig
from api.cases.runtime import CasesRuntime
from api.core import wording
from api.core.guesses import Guesser
from api.deps import client_ip, internal_caller


def get_runtime(request: Request) -> CasesRuntime:
    runtime: CasesRuntime = request.app.state.cases
    if not runtime.db.ready:
        raise HTTPException(status_code=503, detail=wording.text("gateway", "errors.database_down"))
    return runtime


RuntimeDep = Annotated[CasesRuntime, Depends(get_runtime)]


def get_case_config(runtime: RuntimeDep) -> CaseConfig:
    return runtime.config


CaseConfigDep = Annotated[CaseConfig, Depends(get_case_config)]


def get_guesser(request: Request) -> Guesser:
    """Who guesses, by address; the action server's address is every chat user's, so it counts per target only."""
    if internal_caller(request):
        return Guesser("internal", shared=True)
    return Guesser(f"ip:{client_ip(request)}")


GuesserDep = Annotated[Guesser, Depends(get_guesser)]
