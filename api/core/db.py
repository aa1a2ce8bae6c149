"""The gateway's one database: the declarative base every feature's tables share, the engine for SQLite (WAL,
foreign keys, one writer at a time) and PostgreSQL, migrations at start-up, and the handle features are given."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from api.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_LOCK = 5_120_345  # pg advisory lock id: replicas starting together migrate one at a time

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite drops time zones; store naive UTC everywhere and hand back aware UTC so comparisons are safe."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Every table of the gateway; api/migrations/metadata.py imports them all for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """SQLite writers take the lock at BEGIN (IMMEDIATE) so concurrent creates wait instead of failing."""
    if is_sqlite(url):
        u = make_url(url)
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook issue BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process crash (kill -9)
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=20)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """`alembic upgrade head` on the given engine; PostgreSQL replicas serialise on an advisory lock."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@dataclass
class Database:
    """What features are handed: `sessions`, and `ready`, false until the migrations ran on this handle.

    While it is false the routes answer 503 and the background work skips its pass, so a database that is down
    at start-up never takes the gateway with it.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    ready: bool = False

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> Database:
        engine = make_engine(url, pool_size=pool_size)
        return cls(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

    def upgrade(self) -> None:
        upgrade(self.engine)
        self.ready = True

    def dispose(self) -> None:
        self.engine.dispose()


async def _migrate_until_ready(db: Database, retry_s: float) -> None:
    while not db.ready:
        await asyncio.sleep(retry_s)
        try:
            await asyncio.to_thread(db.upgrade)
            log.info("case database is back; case endpoints are open")
        except Exception as exc:
            log.warning("case database still unavailable: %s", type(exc).__name__)


@asynccontextmanager
async def database_lifespan(app: FastAPI, settings: Settings, *, retry_s: float = 5.0) -> AsyncIterator[Database]:
    """`app.state.db`, migrated; a database that is down gives 503s and keeps being retried, never a dead gateway."""
    db = Database.connect(settings.database_url)
    app.state.db = db
    retry: asyncio.Task[None] | None = None
    try:
        await asyncio.to_thread(db.upgrade)
    except Exception:
        log.exception("case database unavailable at start-up; retrying in the background")
        retry = asyncio.create_task(_migrate_until_ready(db, retry_s))
    try:
        yield db
    finally:
        if retry is not None:
            retry.cancel()
            with suppress(asyncio.CancelledError):
                await retry
        db.dispose()
