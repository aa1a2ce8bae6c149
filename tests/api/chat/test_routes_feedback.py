"""POST /api/feedback with a fake Rasa behind the gateway: rating a real answer, limits, bounds, one row per turn."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.chat.feedback import AnswerFeedback
from api.chat.routes import FEEDBACK_MAX_BYTES
from tests.support.app import gateway_client, make_settings
from tests.support.fake_rasa import FakeRasa

SENDER = "w-0123456789abcdef01234567"
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def make_client(tmp_path: Path, rasa: FakeRasa) -> Iterator[ClientFactory]:
    opened: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        settings = make_settings(tmp_path, rasa_url=rasa.url, chat_budget_s=2.0, chat_breaker_failures=0, **overrides)
        client = gateway_client(settings)
        client.__enter__()
        opened.append(client)
        return client

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def ask(client: TestClient, message: str, sender: str = SENDER) -> dict[str, Any]:
    resp = client.post("/api/chat", json={"sender": sender, "message": message}, headers={"X-Chat-Channel": "widget"})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def rate(client: TestClient, turn: Any, value: str, sender: str = SENDER, **extra: Any) -> Any:
    return client.post("/api/feedback", json={"sender": sender, "turn": turn, "value": value, **extra})


def rows(client: TestClient) -> list[AnswerFeedback]:
    with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(AnswerFeedback).order_by(AnswerFeedback.id)))


def test_a_guide_answer_is_rated_with_its_masked_question_and_the_answer_given(client: TestClient) -> None:
    body = ask(client, "我电话13812345678，社保卡丢了怎么补办")
    assert body["meta"]["route"] == {"kind": "guide", "id": "ss-card-replace"}
    turn = body["meta"]["feedback_turn"]
    assert isinstance(turn, int) and turn > 0
    resp = rate(client, turn, "not_useful")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"turn": turn, "value": "not_useful"}
    (row,) = rows(client)
    assert (row.turn_id, row.sender, row.channel, row.value) == (turn, SENDER, "widget", "not_useful")
    assert (row.route_kind, row.route_id) == ("guide", "ss-card-replace")
    assert "13812345678" not in row.question and "[电话]" in row.question and "社保卡" in row.question


def test_replies_without_an_answer_offer_no_rating(client: TestClient) -> None:
    assert ask(client, "今天天气怎么样")["meta"]["feedback_turn"] is None  # out of scope
    assert ask(client, "办卡")["meta"]["feedback_turn"] is None  # "which one?"


def test_a_second_tap_replaces_the_first(client: TestClient) -> None:
    turn = ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]
    for value in ("not_useful", "useful"):
        assert rate(client, turn, value).status_code == 200
    assert [(r.turn_id, r.value) for r in rows(client)] == [(turn, "useful")]
    other = ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]
    assert rate(client, other, "not_found").status_code == 200
    assert sorted((r.turn_id, r.value) for r in rows(client)) == [(turn, "useful"), (other, "not_found")]


def test_another_senders_turn_and_unknown_turns_are_404(client: TestClient) -> None:
    turn = ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]
    assert rate(client, turn, "not_useful", sender="w-somebodyelse0000000000000").status_code == 404
    assert rate(client, turn + 100, "not_useful").status_code == 404
    assert rows(client) == []


@pytest.mark.parametrize(
    "body",
    [
        {"sender": SENDER, "turn": 1, "value": "great"},
        {"sender": SENDER, "turn": 0, "value": "useful"},
        {"sender": SENDER, "turn": "x", "value": "useful"},
        {"sender": "has space", "turn": 1, "value": "useful"},
        {"sender": SENDER, "turn": 1, "value": "useful", "comment": "extra fields are refused"},
        {"sender": SENDER, "value": "useful"},
        [1, 2, 3],
    ],
)
def test_bad_bodies_are_422(client: TestClient, body: Any) -> None:
    resp = client.post("/api/feedback", json=body)
    assert resp.status_code == 422 and resp.json()["detail"]


def test_signed_channel_senders_rate_through_their_channel_only(client: TestClient) -> None:
    assert rate(client, 1, "useful", sender="wx:0123456789abcdef0123456789abcdef").status_code == 422


def test_wrong_type_and_oversized_bodies_are_refused(client: TestClient) -> None:
    turn = ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]
    plain = client.post("/api/feedback", content=f"{SENDER} {turn} useful", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    padded = json.dumps({"sender": SENDER, "turn": turn, "value": "useful"})[:-1] + " " * FEEDBACK_MAX_BYTES + "}"
    resp = client.post("/api/feedback", content=padded, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length to trust
        yield padded.encode()

    chunked = client.post("/api/feedback", content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert rows(client) == []


def test_feedback_is_rate_limited_per_sender_like_chat_with_its_own_budget(make_client: ClientFactory) -> None:
    client = make_client(chat_rate_sender_burst=3, chat_rate_sender_per_min=1.0)
    turn = ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]
    assert [rate(client, turn, "useful").status_code for _ in range(3)] == [200, 200, 200]
    limited = rate(client, turn, "not_useful")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert rows(client)[0].value == "useful"  # the refused tap changed nothing
    assert ask(client, "社保卡丢了怎么补办")["meta"]["feedback_turn"]  # the questions' budget is apart


def test_feedback_is_rate_limited_per_ip(make_client: ClientFactory) -> None:
    client = make_client(chat_rate_ip_burst=2, chat_rate_ip_per_min=1.0)
    codes = [rate(client, 1, "useful", sender=f"w-{i:024x}").status_code for i in range(3)]
    assert codes == [404, 404, 429]
