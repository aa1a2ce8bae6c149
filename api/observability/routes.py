"""Liveness (/healthz: the process serves) and readiness (/readyz: index, database and Rasa all answer)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.core.db import Database

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database_ok(request: Request) -> dict[str, Any]:
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None:
        return {"ok": False, "detail": "case system not started"}
    if not db.ready:
        return {"ok": False, "detail": "migrations not applied yet"}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return {"ok": False, "detail": type(exc).__name__}
    return {"ok": True}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state = getattr(request.app.state, "app", None)
    searcher = getattr(state, "searcher", None)
    index: dict[str, Any] = {"ok": searcher is not None}
    if searcher is not None:
        index["entries"] = searcher.n_entries
    service = getattr(request.app.state, "chat", None)
    rasa_ok = service is not None and await service.rasa_reachable()
    rasa: dict[str, Any] = {"ok": rasa_ok}
    database = await asyncio.to_thread(_database_ok, request)
    components = {"index": index, "database": database, "rasa": rasa}
    settings = request.app.state.settings
    # behind a load balancer, a Rasa outage must not take every gateway out of service: they answer from search
    required = [name for name in components if name != "rasa" or settings.ready_requires_rasa]
    rasa["required"] = settings.ready_requires_rasa
    ready = all(components[name]["ok"] for name in required)
    body = {"status": "ready" if ready else "not_ready", "components": components}
    return JSONResponse(body, status_code=200 if ready else 503)
