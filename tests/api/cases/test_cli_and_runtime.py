"""`python -m api users …`, start-up migrations, the scheduler loop in the lifespan, production secret checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import text

from api.cases.config import load_config
from api.core.db import alembic_config
from api.settings import Settings
from tests.support.app import gateway_client, make_settings
from tests.support.cases import file_case

ROOT = Path(__file__).resolve().parents[3]


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_create_and_reset_password(settings: Settings) -> None:
    made = _cli(
        settings, "users", "create", "wang", "--role", "supervisor", "--password-stdin", stdin="first password 1\n"
    )
    assert made.returncode == 0, made.stderr
    assert _cli(settings, "users", "create", "wang", "--password-stdin", stdin="another pass 2\n").returncode == 2
    assert _cli(settings, "users", "create", "li", "--password-stdin", stdin="short\n").returncode == 2
    with gateway_client(settings) as client:
        ok = client.post("/api/staff/login", json={"username": "wang", "password": "first password 1"})
        assert ok.status_code == 200 and ok.json()["role"] == "supervisor"
        reset = _cli(settings, "users", "reset-password", "wang", "--password-stdin", stdin="second password 2\n")
        assert reset.returncode == 0, reset.stderr
        headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
        assert client.get("/api/staff/me", headers=headers).status_code == 401
        assert client.post("/api/staff/login", json={"username": "wang", "password": "second password 2"}).is_success
    assert (
        _cli(settings, "users", "reset-password", "nobody", "--password-stdin", stdin="whatever pass\n").returncode == 2
    )


def test_scheduler_runs_in_the_lifespan(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, case_background=True, case_scheduler_interval_s=0.05)
    with gateway_client(settings) as client:
        no = file_case(client)["case_no"]
        with client.app.state.cases.db.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text("UPDATE cases SET deadline = '2026-01-05' WHERE case_no = :no"), {"no": no})
        deadline = time.monotonic() + 10
        status = ""
        while time.monotonic() < deadline and status != "supervised":
            time.sleep(0.05)
            status = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()["status"]
        assert status == "supervised"
        timeline = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()["timeline"]
        assert timeline[-1]["kind"] == "overdue"


def test_healthz_and_migrations_on_a_fresh_database(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "deep" / "dir")
    with gateway_client(settings) as client:
        assert client.get("/healthz").status_code == 200
        with client.app.state.cases.db.engine.connect() as conn:  # type: ignore[attr-defined]
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()  # later migrations add tables
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_production_refuses_default_webhook_secret() -> None:
    with pytest.raises(ValidationError):
        Settings(
            app_env="production",
            secret_key="s3cret-for-real-" + "k" * 32,
            case_webhook_url="https://12345.example/hook",
        )
    Settings(
        app_env="production",
        secret_key="s3cret-for-real-" + "k" * 32,
        case_webhook_url="https://12345.example/hook",
        case_webhook_secret="another real secret " + "w" * 32,
        internal_token="a real internal token " + "t" * 32,  # refused at its default in production too (api/handoff)
    )


def test_categories_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "cats.yml"
    path.write_text("categories:\n  - {code: noise, name: 噪音扰民, sla_days: 2}\n", encoding="utf-8")
    depts = tmp_path / "departments.yml"  # the directory names the locality's own categories (test_departments.py)
    depts.write_text(
        "departments:\n  - {code: env, name: 环保局, full_name: 生态环境局, contact: 0000-1, categories: [noise]}\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, case_categories_file=path, case_departments_file=depts)
    with gateway_client(settings) as client:
        assert client.get("/api/cases/categories").json() == [{"code": "noise", "name": "噪音扰民"}]
    path.write_text("categories:\n  - {code: a, name: 甲, sla_days: 0}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_config(path)


def test_database_down_keeps_the_gateway_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with gateway_client(settings) as client:
        assert client.get("/healthz").status_code == 200
        resp = client.post(
            "/api/cases", json={"category": "other", "description": "x", "phone": "13812345678", "channel": "widget"}
        )
        assert resp.status_code == 503 and "12345" in resp.json()["detail"]
        assert client.get("/api/cases/categories").status_code == 503
