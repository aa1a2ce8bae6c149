"""Chat helpers several test folders share: one /api/chat turn checked against the contract, its guide cards, and a
recorded turn with the citizen's feedback on it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.chat import feedback
from api.chat.schemas import ChatReply
from api.handoff import service as handoff_service
from tests.support.app import db_of


def ask(client: TestClient, message: str, sender: str = "tester-1") -> dict[str, Any]:
    resp = client.post("/api/chat", json={"sender": sender, "message": message}, headers={"X-Chat-Channel": "widget"})
    assert resp.status_code == 200, resp.text
    ChatReply.model_validate(resp.json())  # the contract, exactly
    body: dict[str, Any] = resp.json()
    return body


def cards(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["card"] for m in body["messages"] if m["type"] == "guide_card"]


def rated_turn(
    client: TestClient, text: str, value: feedback.Value, *, rid: str = "ss-card-replace", sender: str = "w-1"
) -> int:
    with db_of(client).sessions() as session:
        turn = handoff_service.record_turn(
            session=session,
            sender=sender,
            channel="widget",
            text=text,
            route_kind="guide",
            route_id=rid,
            confident=True,
            degraded=False,
        )
        assert feedback.record(session=session, turn_id=turn.id, sender=sender, value=value) is not None
        return turn.id
