"""POST /api/handoffs (internal token), the widget's inbox of agent replies, and record_turn's masking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.core.db import Database
from api.handoff import service
from api.handoff.models import ChatTurn, Handoff
from api.settings import DEV_INTERNAL_TOKEN, Settings
from tests.support.app import gateway_client, make_settings

TOKEN = "test-internal-token"
HEADERS = {"X-Internal-Token": TOKEN}
BODY = {
    "sender": "w-7f3a9c2e1b",
    "channel": "widget",
    "reason": "用户说“转人工”",
    "transcript": [
        {"from": "user", "text": "我的社保卡丢了", "at": "2026-11-28T08:00:00Z"},
        {"from": "bot", "text": "可以补办，带身份证到一楼", "at": "2026-11-28T08:00:01Z"},
        {"from": "user", "text": "<script>alert(1)</script>转人工"},
    ],
}


def _client(settings: Settings) -> Iterator[TestClient]:
    with gateway_client(settings) as c:
        yield c


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(make_settings(tmp_path, internal_token=TOKEN))


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    return db


def test_create_stores_the_transcript(client: TestClient) -> None:
    resp = client.post("/api/handoffs", json=BODY, headers=HEADERS)
    assert resp.status_code == 201
    out = resp.json()
    assert out["status"] == "open" and isinstance(out["handoff_id"], int)
    with _db(client).sessions() as session:
        h = session.get(Handoff, out["handoff_id"])
        assert h is not None and h.channel == "widget" and h.sender == BODY["sender"]
        assert [(m.author, m.text) for m in h.messages] == [(t["from"], t["text"]) for t in BODY["transcript"]]
        assert h.messages[0].at == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("headers", [{}, {"X-Internal-Token": "wrong"}, {"X-Internal-Token": TOKEN + "x"}])
def test_the_internal_token_is_required(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/api/handoffs", json=BODY, headers=headers).status_code == 401


def test_the_default_token_is_refused_outside_development(tmp_path: Path) -> None:
    for c in _client(make_settings(tmp_path)):  # app_env=test, INTERNAL_TOKEN left at the default
        resp = c.post("/api/handoffs", json=BODY, headers={"X-Internal-Token": DEV_INTERNAL_TOKEN})
        assert resp.status_code == 503


def test_an_empty_expected_token_refuses_every_request(tmp_path: Path) -> None:
    """compare_digest(b"", b"") is True: an empty INTERNAL_TOKEN must not let a token-less request in."""
    for env in ("test", "development"):
        (tmp_path / env).mkdir()
        for c in _client(make_settings(tmp_path / env, app_env=env, internal_token="")):
            assert c.post("/api/handoffs", json=BODY).status_code == 503
            assert c.post("/api/handoffs", json=BODY, headers={"X-Internal-Token": ""}).status_code == 503


def test_production_refuses_to_start_with_the_default_token() -> None:
    with pytest.raises(ValueError, match="INTERNAL_TOKEN"):
        Settings(app_env="production", secret_key="s" * 32)


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "sender": ""},
        {**BODY, "sender": "bad sender!"},
        {**BODY, "transcript": [{"from": "agent", "text": "hi"}]},
        {**BODY, "transcript": [{"from": "user", "text": ""}]},
        {**BODY, "transcript": [{"from": "user", "text": "x" * 2001}]},
        {k: v for k, v in BODY.items() if k != "channel"},
    ],
)
def test_bad_bodies_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/handoffs", json=body, headers=HEADERS).status_code == 422


def test_inbox_returns_agent_replies_after_an_id(client: TestClient) -> None:
    """The key normally reaches the widget in its chat reply (tests/api/handoff/test_inbox_key.py)."""
    hid = client.post("/api/handoffs", json=BODY, headers=HEADERS).json()["handoff_id"]
    sender = BODY["sender"]
    assert client.get(f"/api/handoffs/inbox/{sender}").status_code == 404  # no key yet, so nobody reads it
    with _db(client).sessions() as session:
        key = service.issue_key(session=session, handoff_id=hid, sender=sender)
        assert key
    inbox = {"X-Handoff-Key": key}
    assert client.get(f"/api/handoffs/inbox/{sender}", headers=inbox).json() == []
    with _db(client).sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None
        first = service.agent_reply(session=session, handoff=h, text="您好，我是人工坐席", agent="agent-1")
        service.agent_reply(session=session, handoff=h, text="请带身份证", agent="agent-1")
        assert h.status == "answered"
    msgs = client.get(f"/api/handoffs/inbox/{sender}", headers=inbox).json()
    assert [m["text"] for m in msgs] == ["您好，我是人工坐席", "请带身份证"]
    assert set(msgs[0]) == {"id", "text", "from", "at"} and msgs[0]["from"] == "agent"
    later = client.get(f"/api/handoffs/inbox/{sender}", params={"after": first.id}, headers=inbox).json()
    assert [m["text"] for m in later] == ["请带身份证"]
    assert client.get(f"/api/handoffs/inbox/{sender}").status_code == 404
    assert client.get("/api/handoffs/inbox/someone-else", headers=inbox).status_code == 404
    assert client.get(f"/api/handoffs/inbox/{sender}", params={"after": -1}, headers=inbox).status_code == 422


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我的手机 13812345678 打不通", "我的手机 [电话] 打不通"),
        ("电话：０３７１－６１２３４５６７", "电话:[电话]"),
        ("身份证410102199001011234办社保", "身份证[身份证号]办社保"),
        ("身份证 41010219900101123X 丢了", "身份证 [身份证号] 丢了"),
        ("卡号6222021234567890123", "卡号[号码]"),
        ("社保卡丢了咋办", "社保卡丢了咋办"),
    ],
)
def test_questions_are_normalised_and_masked(raw: str, expected: str) -> None:
    assert service.clean_question(raw) == expected


def test_record_turn(client: TestClient) -> None:
    with _db(client).sessions() as session:
        turn = service.record_turn(
            session=session,
            sender="w-1",
            channel="widget",
            text="  我的電話13812345678，退休咋辦  ",
            route_kind="guide",
            route_id="pension-retire",
            confident=True,
            degraded=False,
            at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        )
        assert turn.id
    with _db(client).sessions() as session:
        row = session.scalar(select(ChatTurn))
        assert row is not None and row.text == "我的电话[电话],退休咋办" and row.route_id == "pension-retire"


def test_record_turn_best_effort_never_raises(client: TestClient) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    service.record_turn_best_effort(
        db,
        sender="w-1",
        channel="widget",
        text="hi",
        route_kind="none",
        route_id=None,
        confident=False,
        degraded=True,
    )
    service.record_turn_best_effort(db, nonsense=True)  # logged, not raised
    service.record_turn_best_effort(None, sender="w-1")
    with _db(client).sessions() as session:
        assert len(session.scalars(select(ChatTurn)).all()) == 1


def test_the_action_servers_shape_and_path_are_accepted(client: TestClient) -> None:
    """bot/actions/handoff.py posts sender_id and Rasa's role/timestamp to /api/handoff."""
    body = {
        "sender_id": "w-rasa-1",
        "channel": "widget",
        "reason": "user_asked",
        "transcript": [{"role": "user", "text": "转人工", "timestamp": 1764316800.5}, {"role": "bot", "text": "好的"}],
    }
    resp = client.post("/api/handoff", json=body, headers=HEADERS)
    assert resp.status_code == 201 and resp.json()["id"] == resp.json()["handoff_id"]
    assert client.post("/api/handoff", json=body).status_code == 401
    with _db(client).sessions() as session:
        h = session.get(Handoff, resp.json()["id"])
        assert h is not None and h.sender == "w-rasa-1"
        assert [m.author for m in h.messages] == ["user", "bot"] and h.messages[0].at.year == 2025
