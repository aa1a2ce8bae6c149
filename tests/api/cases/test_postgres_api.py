"""The citizen and staff flow over HTTP with PostgreSQL behind the gateway (the deployment at scale)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api.accounts import auth
from tests.support.app import PASSWORD, gateway_client, make_settings
from tests.support.cases import GOOD, NO_FILING_LIMITS, file_case
from tools.pg_throwaway import ThrowawayPostgres


def test_flow_on_postgres(tmp_path: Path, postgres: ThrowawayPostgres) -> None:
    url = postgres.create_database(f"api_{uuid.uuid4().hex[:10]}")
    settings = make_settings(tmp_path, database_url=url, **NO_FILING_LIMITS)
    with gateway_client(settings) as client:
        app: Any = client.app
        with ThreadPoolExecutor(max_workers=20) as pool:
            bodies = list(pool.map(lambda i: file_case(client, description=f"并发 {i}"), range(100)))
        assert len({b["case_no"] for b in bodies}) == 100
        again = [file_case(client, idempotency_key="same") for _ in range(3)]
        assert len({b["case_no"] for b in again}) == 1

        no = bodies[0]["case_no"]
        with app.state.cases.db.sessions() as session:
            auth.create_user(session=session, username="pg-agent", password=PASSWORD, role="agent")
        token = client.post("/api/staff/login", json={"username": "pg-agent", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert (
            client.post(f"/api/staff/cases/{no}/transition", json={"to": "closed"}, headers=headers).status_code == 409
        )
        client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=headers)
        assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "已办好"}, headers=headers).status_code == 200
        rated = client.post(f"/api/cases/{no}/rating", json={"phone_last4": GOOD["phone"][-4:], "score": 2})
        assert rated.json()["status"] == "supervised"
        listed = client.get("/api/staff/cases", params={"status": "supervised"}, headers=headers).json()
        assert [c["case_no"] for c in listed["items"]] == [no]
