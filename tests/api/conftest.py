"""Fixtures for the gateway tests: an app on a throwaway SQLite file, staff logins, and a throwaway PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.accounts import auth
from api.core.db import Database
from api.settings import Settings
from tests.support.app import PASSWORD, gateway_client, make_settings
from tools.pg_throwaway import PostgresUnavailable, ThrowawayPostgres
from tools.services import ServiceUnavailable, ThrowawayRedis


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with gateway_client(settings) as c:
        yield c


@pytest.fixture
def staff(client: TestClient) -> Callable[[str], dict[str, str]]:
    """staff("supervisor") creates that user once and returns bearer headers for it."""
    made: dict[str, dict[str, str]] = {}

    def login(role: str, username: str | None = None) -> dict[str, str]:
        name = username or f"{role}-1"
        if name not in made:
            db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
            with db.sessions() as session:
                auth.create_user(session=session, username=name, password=PASSWORD, role=role, department="政务办")
            resp = client.post("/api/staff/login", json={"username": name, "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            made[name] = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        return made[name]

    return login


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    try:
        pg = ThrowawayPostgres.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[ThrowawayRedis]:
    """A throwaway redis-server on a loopback port (Debian's package, installed when missing)."""
    try:
        server = ThrowawayRedis.start()
    except ServiceUnavailable as exc:
        pytest.skip(f"redis-server unavailable (Debian package `redis-server`): {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each case test runs on SQLite and on a fresh database in the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    pg: ThrowawayPostgres = request.getfixturevalue("postgres")
    return pg.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def case_db(db_url: str) -> Iterator[Database]:
    db = Database.connect(db_url)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
