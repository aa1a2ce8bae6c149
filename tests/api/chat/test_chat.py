"""/api/chat against a fake Rasa REST server: the normal path, and the degraded path when Rasa is slow or down."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.chat.conftest import QUESTION, ClientFactory, dead_url
from tests.support.chat import ask, cards
from tests.support.fake_rasa import FakeRasa


def assert_ss_card(body: dict[str, Any]) -> None:
    assert body["meta"]["route"] == {"kind": "guide", "id": "ss-card-replace"}
    (card,) = cards(body)
    assert card["id"] == "ss-card-replace"
    assert card["name"] == "社会保障卡挂失与补换"
    assert card["window"]["id"] == "w-social-insurance"
    assert card["window"]["floor"] and card["window"]["counters"]
    assert card["url"] == "/guides/ss-card-replace"
    assert card["materials"] and all(m["note"] for m in card["materials"])  # every material carries its 审查要点
    assert card["time_limit"]


def test_normal_path_maps_rasa_text_and_meta_and_adds_the_card(client: TestClient, fake_rasa: FakeRasa) -> None:
    body = ask(client, QUESTION)
    assert body["meta"]["degraded"] is False
    assert body["meta"]["intent"] == "ask_howto"
    assert body["meta"]["confidence"] == pytest.approx(0.97)
    assert body["messages"][0]["type"] == "text" and "社保卡" in body["messages"][0]["text"]
    assert_ss_card(body)
    sent = fake_rasa.received[-1]
    assert sent["sender"] == "tester-1" and sent["message"] == QUESTION
    assert sent["metadata"] == {"channel": "widget"}


def test_rasa_buttons_become_quick_replies(client: TestClient) -> None:
    body = ask(client, "办卡")
    (msg,) = body["messages"]
    assert msg["type"] == "buttons"
    assert next(b["payload"] for b in msg["buttons"]) == '/choose_guide{"guide_id":"ss-card-replace"}'
    assert body["meta"]["route"]["kind"] == "none"


def test_clarification_payload_goes_to_rasa_and_answers_with_the_card(client: TestClient) -> None:
    body = ask(client, '/choose_guide{"guide_id":"ss-card-replace"}')
    assert body["meta"]["degraded"] is False
    assert cards(body)[0]["id"] == "ss-card-replace"


def test_custom_card_and_link_from_the_bot_are_kept(client: TestClient, fake_rasa: FakeRasa) -> None:
    service = client.app.state.chat  # type: ignore[attr-defined]
    raw = [
        {"recipient_id": "x", "text": "看这里"},
        {"recipient_id": "x", "custom": {"guide_card": {"id": "passport", "name": "护照"}}},
        {"recipient_id": "x", "custom": {"link": "/guides/passport", "title": "护照指南"}},
        {
            "recipient_id": "x",
            "custom": {"intent": "ask_howto", "confidence": 0.9, "route": {"kind": "guide", "id": "passport"}},
        },
    ]
    reply = service.from_rasa(raw)
    assert [m.type for m in reply.messages] == ["text", "guide_card", "link"]  # the bot's card is not duplicated
    assert reply.meta.route.id == "passport"


def test_bot_that_says_nothing_still_gets_a_reply(client: TestClient) -> None:
    reply = client.app.state.chat.from_rasa([])  # type: ignore[attr-defined]
    assert reply.messages and reply.messages[0].text


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
def test_slow_or_broken_rasa_answers_from_search(make_client: ClientFactory, fake_rasa: FakeRasa, mode: str) -> None:
    fake_rasa.mode = mode
    fake_rasa.delay_s = 60.0
    client = make_client(rasa_url=fake_rasa.url, chat_budget_s=0.4)
    t0 = time.perf_counter()
    body = ask(client, QUESTION)
    # the budget cut the wait, not Rasa's 60 s (a behaviour check, not a speed target: CI machines are slow)
    assert time.perf_counter() - t0 < 30.0
    assert body["meta"]["degraded"] is True
    assert_ss_card(body)


def test_rasa_down_answers_from_search(make_client: ClientFactory) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, QUESTION)
    assert body["meta"]["degraded"] is True
    assert_ss_card(body)
    assert any(m["type"] == "link" and m["url"] == "/guides/ss-card-replace" for m in body["messages"])


def test_degraded_not_found_is_honest_and_offers_hotline_complaint_handoff(make_client: ClientFactory) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, "🙂🙂🙂")
    route = {"kind": "none", "id": None}
    assert body["meta"] == {
        "intent": None,
        "confidence": None,
        "route": route,
        "degraded": True,
        "handoff_key": None,
        "handoff_state": None,
        "feedback_turn": None,  # no answer given, so nothing to rate
    }
    payloads = [b["payload"] for m in body["messages"] for b in m["buttons"]]
    assert payloads == ["/hotline", "/file_complaint", "/request_human"]
    assert any(m["type"] == "link" and m["url"] == "tel:12345" for m in body["messages"])
    assert not cards(body)


def test_degraded_without_an_index_still_answers(make_client: ClientFactory) -> None:
    client = make_client(rasa_url=dead_url(), with_searcher=False)
    body = ask(client, QUESTION)
    assert body["meta"]["degraded"] is True and body["meta"]["route"]["kind"] == "none"


def test_degraded_bundle_payload_gives_the_merged_checklist(make_client: ClientFactory) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, '/show_bundle{"bundle_id":"yjs-ss-card"}')
    (card,) = cards(body)
    assert card["kind"] == "bundle" and body["meta"]["route"] == {"kind": "bundle", "id": "yjs-ss-card"}
    assert card["members"] and card["steps"] and card["materials"]


def test_degraded_item_offers_its_bundle(make_client: ClientFactory) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, QUESTION)
    payloads = [b["payload"] for m in body["messages"] for b in m["buttons"]]
    assert '/show_bundle{"bundle_id":"yjs-ss-card"}' in payloads


@pytest.mark.parametrize(
    ("payload", "kind"), [("/file_complaint", "complaint"), ("/request_human", "handoff"), ("/hotline", "none")]
)
def test_degraded_complaint_handoff_hotline_buttons_answer(make_client: ClientFactory, payload: str, kind: str) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, payload)
    assert body["meta"]["degraded"] is True and body["meta"]["route"]["kind"] == kind
    assert body["messages"][0]["text"]


def test_breaker_skips_rasa_after_repeated_failures(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "error"
    client = make_client(rasa_url=fake_rasa.url, chat_breaker_failures=2, chat_breaker_cooldown_s=60)
    for _ in range(4):
        assert ask(client, QUESTION)["meta"]["degraded"] is True
    assert len(fake_rasa.received) == 2


def test_chat_service_is_available_to_channels(client: TestClient) -> None:
    from api.deps import get_chat

    class Req:
        app = client.app

    service = get_chat(Req())  # type: ignore[arg-type]
    assert callable(service.turn)


def test_every_turn_is_recorded_for_the_console_with_the_phone_masked(make_client: ClientFactory) -> None:
    from sqlalchemy import select

    from api.handoff.models import ChatTurn

    client = make_client(rasa_url=dead_url())
    ask(client, QUESTION)
    ask(client, "我电话13812345678，红烧肉怎么做")
    with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        turns = session.scalars(select(ChatTurn).order_by(ChatTurn.id)).all()
    assert (turns[0].route_kind, turns[0].route_id, turns[0].degraded) == ("guide", "ss-card-replace", True)
    assert turns[0].confident and not turns[1].confident
    assert "13812345678" not in turns[1].text
