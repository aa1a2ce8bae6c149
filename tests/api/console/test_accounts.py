"""Accounts: the first admin from bootstrap-admin must change its password; admins create accounts in the console."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from api.accounts import auth
from api.core.db import Database
from tests.api.console.conftest import csrf_of, login


def test_first_admin_must_change_password(app_client: TestClient) -> None:
    from api.accounts.bootstrap import bootstrap_admin

    db: Database = app_client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        one_time = bootstrap_admin(session=session)
        assert one_time and bootstrap_admin(session=session) is None  # only when no admin exists
    c = TestClient(app_client.app)
    page = c.get("/console/login")
    resp = c.post(
        "/console/login",
        data={"username": "admin", "password": one_time, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/console/password"
    for blocked in ("/console", "/console/users", "/console/figures"):
        r = c.get(blocked, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/password"
    csrf = csrf_of(c.get("/console/password").text)
    new = "a much better passphrase"
    short = c.post(
        "/console/password", data={"csrf_token": csrf, "current": one_time, "new": "short", "again": "short"}
    )
    assert short.status_code == 422
    done = c.post(
        "/console/password",
        data={"csrf_token": csrf, "current": one_time, "new": new, "again": new},
        follow_redirects=False,
    )
    assert done.status_code == 303 and c.get("/console").status_code == 401  # old session ended
    c2 = TestClient(app_client.app)
    login(c2, "admin", new)
    assert c2.get("/console/users").status_code == 200


def test_admin_creates_an_account_that_must_change_its_password(
    as_role: Callable[[str], tuple[TestClient, str]],
) -> None:
    admin, csrf = as_role("admin")
    resp = admin.post("/console/users", data={"csrf_token": csrf, "username": "new-agent", "role": "agent"})
    assert resp.status_code == 201
    db: Database = admin.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        user = session.scalar(auth.select(auth.StaffUser).where(auth.StaffUser.username == "new-agent"))
        assert user is not None and user.must_change_password and user.role == "agent"
