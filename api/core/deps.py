"""Dependency aliases every feature uses: the app's settings and the database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.core import wording
from api.core.db import Database
from api.settings import Settings


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with (`create_app(settings)`), not the environment's."""
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not db.ready:
        # the same answer for every feature while the database is down: the hotline still takes the call
        raise HTTPException(status_code=503, detail=wording.text("gateway", "errors.database_down"))
    return db


DatabaseDep = Annotated[Database, Depends(get_database)]


def get_session(db: DatabaseDep) -> Iterator[Session]:
    with db.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
