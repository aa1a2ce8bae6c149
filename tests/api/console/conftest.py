"""Console fixtures: an app on a throwaway SQLite file, staff of each role, and logged-in browsers (TestClients)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.accounts import auth
from api.core.db import Database
from api.settings import Settings
from tests.support.app import PASSWORD, gateway_client, make_settings

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
META_RE = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
ROLES = ("agent", "supervisor", "admin")


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html) or META_RE.search(html)
    assert m and m.group(1), "no CSRF token on the page"
    return m.group(1)


def make_user(client: TestClient, username: str, role: str, *, must_change: bool = False) -> None:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        user = auth.create_user(
            session=session, username=username, password=PASSWORD, role=role, display_name=f"{role} 坐席"
        )
        user.must_change_password = must_change
        session.commit()


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/console/login")
    resp = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    home = client.get(resp.headers["location"])
    return csrf_of(home.text)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production argon2 cost is the point in production and only slowness here: dozens of logins per test."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def console_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, internal_token="test-internal-token")


@pytest.fixture
def app_client(console_settings: Settings) -> Iterator[TestClient]:
    with gateway_client(console_settings) as c:
        yield c


@pytest.fixture
def as_role(app_client: TestClient) -> Callable[[str], tuple[TestClient, str]]:
    """as_role("agent") -> (a client logged in as a fresh user of that role, its CSRF token)."""
    clients: list[TestClient] = []

    def make(role: str) -> tuple[TestClient, str]:
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        make_user(app_client, name, role)
        c = TestClient(app_client.app)
        clients.append(c)
        return c, login(c, name)

    return make
