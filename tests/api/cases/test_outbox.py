"""Forwarding: every case event reaches a flaky receiver, signed, exactly once after de-duplication by id."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.accounts import auth
from api.cases.models import Case, Outbox
from api.cases.outbox import WorkerConfig, deliver_due, pending_count, sign, verify
from tests.api.fake_receiver import FakeReceiver
from tests.support.app import gateway_client, make_settings
from tests.support.cases import MASKED_STORY, NO_FILING_LIMITS, STORY, STORY_NUMBERS, file_case

SECRET = "webhook-test-secret"


def test_signature_round_trip() -> None:
    ts = str(int(time.time()))
    sig = sign(SECRET, ts, b"{}")
    assert sig.startswith("sha256=") and verify(SECRET, ts, b"{}", sig)
    assert not verify(SECRET, ts, b"{ }", sig)
    assert not verify("other", ts, b"{}", sig)
    assert not verify(SECRET, str(int(time.time()) - 3600), b"{}", sign(SECRET, str(int(time.time()) - 3600), b"{}"))


def _drain(app_client: TestClient, cfg: WorkerConfig, budget_s: float = 60) -> None:
    db = app_client.app.state.cases.db  # type: ignore[attr-defined]
    deadline = time.monotonic() + budget_s
    with httpx.Client() as http:
        while time.monotonic() < deadline:
            deliver_due(sessions=db.sessions, client=http, cfg=cfg)
            with db.sessions() as session:
                if pending_count(session=session) == 0:
                    return
            time.sleep(0.02)
    raise AssertionError("outbox did not drain")


@pytest.fixture
def receiver() -> Any:
    with FakeReceiver(SECRET, fail_rate=0.3, lost_ack_rate=0.2, seed=11) as r:
        yield r


def _client(tmp_path: Path, url: str) -> Any:
    settings = make_settings(tmp_path, case_webhook_url=url, case_webhook_secret=SECRET, **NO_FILING_LIMITS)
    return gateway_client(settings)


def test_every_event_arrives_exactly_once_after_dedupe(tmp_path: Path, receiver: FakeReceiver) -> None:
    cfg = WorkerConfig(url=receiver.url, secret=SECRET, backoff_s=0.005, backoff_max_s=0.05, max_attempts=100)
    with _client(tmp_path / "fw", receiver.url) as client:
        numbers = [file_case(client, description=f"第 {i} 件")["case_no"] for i in range(25)]
        db = client.app.state.cases.db  # type: ignore[attr-defined]
        with db.sessions() as session:
            auth.create_user(session=session, username="a1", password="long enough pw", role="agent")
        token = client.post("/api/staff/login", json={"username": "a1", "password": "long enough pw"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for no in numbers[:10]:
            client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=headers)
        _drain(client, cfg)
        with db.sessions() as session:
            rows = session.scalars(select(Outbox)).all()
            ids = {r.event_id for r in rows}
            assert all(r.delivered_at is not None and r.dead_at is None for r in rows)
    assert len(ids) == 35
    assert receiver.unique_ids() == ids
    assert len(receiver.received) == len(ids)
    assert receiver.bad_signatures == 0
    assert receiver.requests > len(ids), "the receiver was meant to fail some deliveries"
    assert sum(receiver.deliveries.values()) >= len(ids)
    created = [e for e in receiver.received if e["type"] == "created"]
    assert {e["case"]["case_no"] for e in created} == set(numbers)
    assert all("13812345678" not in str(e) for e in receiver.received)


def test_dead_letters_are_listed_and_can_be_retried(tmp_path: Path) -> None:
    with FakeReceiver(SECRET, fail_rate=1.0, lost_ack_rate=0.0) as down, _client(tmp_path / "dl", down.url) as client:
        cfg = WorkerConfig(url=down.url, secret=SECRET, backoff_s=0.001, backoff_max_s=0.001, max_attempts=3)
        file_case(client)
        _drain(client, cfg)
        with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
            auth.create_user(session=session, username="boss", password="long enough pw", role="supervisor")
            auth.create_user(session=session, username="a1", password="long enough pw", role="agent")
        tok = client.post("/api/staff/login", json={"username": "boss", "password": "long enough pw"}).json()
        boss = {"Authorization": f"Bearer {tok['access_token']}"}
        tok = client.post("/api/staff/login", json={"username": "a1", "password": "long enough pw"}).json()
        agent = {"Authorization": f"Bearer {tok['access_token']}"}
        assert client.get("/api/staff/outbox/dead", headers=agent).status_code == 403
        dead = client.get("/api/staff/outbox/dead", headers=boss).json()
        assert len(dead) == 1 and dead[0]["attempts"] == 3 and dead[0]["last_error"] == "HTTP 500"
        event_id = dead[0]["event_id"]
        down.fail_rate = 0.0
        assert client.post(f"/api/staff/outbox/{event_id}/retry", headers=boss).status_code == 202
        assert client.post("/api/staff/outbox/no-such-id/retry", headers=boss).status_code == 404
        _drain(client, cfg)
        assert client.get("/api/staff/outbox/dead", headers=boss).json() == []
        assert down.unique_ids() == {event_id}


def test_unreachable_receiver_is_retried_later(tmp_path: Path) -> None:
    with _client(tmp_path / "nr", "http://127.0.0.1:9/unreachable") as client:
        file_case(client)
        cfg = WorkerConfig(url="http://127.0.0.1:9/unreachable", secret=SECRET, backoff_s=60, timeout_s=1)
        db = client.app.state.cases.db  # type: ignore[attr-defined]
        with httpx.Client() as http:
            stats = deliver_due(sessions=db.sessions, client=http, cfg=cfg)
            assert (stats.failed, stats.delivered) == (1, 0)
            assert deliver_due(sessions=db.sessions, client=http, cfg=cfg).attempted == 0  # backing off
        with db.sessions() as session:
            row = session.scalars(select(Outbox)).one()
            assert row.attempts == 1 and row.last_error and "ConnectError" in row.last_error


def test_the_payload_carries_the_story_masked(tmp_path: Path) -> None:
    """The work-order system gets what the public views get; the full story stays in the case database."""
    with FakeReceiver(SECRET, fail_rate=0.0, lost_ack_rate=0.0) as up, _client(tmp_path / "pm", up.url) as client:
        cfg = WorkerConfig(url=up.url, secret=SECRET, backoff_s=0.001, backoff_max_s=0.001)
        no = file_case(client, description=STORY)["case_no"]
        db = client.app.state.cases.db  # type: ignore[attr-defined]
        with db.sessions() as session:
            auth.create_user(session=session, username="a1", password="long enough pw", role="agent")
        tok = client.post("/api/staff/login", json={"username": "a1", "password": "long enough pw"}).json()
        agent = {"Authorization": f"Bearer {tok['access_token']}"}
        client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=agent)
        client.post(f"/api/staff/cases/{no}/reply", json={"text": "已联系窗口"}, headers=agent)
        rate = {"phone_last4": "5678", "score": 1, "comment": "还是不行，打13912345678"}
        assert client.post(f"/api/cases/{no}/rating", json=rate).status_code == 200
        _drain(client, cfg)
        with db.sessions() as session:
            stored = [r.payload for r in session.scalars(select(Outbox))]
            assert session.scalar(select(Case.description).where(Case.case_no == no)) == STORY
    assert {e["case"]["description"] for e in up.received} == {MASKED_STORY}
    rating = [e for e in up.received if e["type"] == "rating"]
    assert rating[0]["note"] == "评价 1 分：还是不行，打139****5678"
    for text in (str(up.received), *stored):
        assert not any(n in text for n in STORY_NUMBERS)
