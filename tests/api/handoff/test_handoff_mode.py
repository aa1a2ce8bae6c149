"""Handoff mode (#15 item 4) through /api/chat: while a person has the conversation the bot is quiet, one open
handoff per sender, the acknowledgement, and the hand-back by the agent or by the timeout.

The gateway runs in process against the fake Rasa, whose 转人工 opens the handoff through POST /api/handoff with
the internal token, as bot/actions/handoff.py does. Wording comes from api/wording/chat.yml, never from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.chat.content import load_messages
from api.handoff import mode, service
from api.handoff.address import AddressBox, AddressError
from api.handoff.models import Handoff, HandoffDelivery
from api.settings import Settings
from tests.support.app import make_settings
from tests.support.gateway import GatewayRig, running

TOKEN = "test-internal-token-of-the-action-server"
SENDER = "w-" + "3c" * 16
SAY = load_messages()


def said(key: str) -> str:
    return SAY.text("handoff", key)


class Gateway(GatewayRig):
    def chat(self, message: str, *, key: str | None = None, sender: str = SENDER) -> dict[str, Any]:
        headers = {"X-Chat-Channel": "widget", **({"X-Handoff-Key": key} if key else {})}
        resp = self.client.post("/api/chat", json={"sender": sender, "message": message}, headers=headers)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data

    def open_handoff(self) -> tuple[int, str]:
        meta = self.chat("/request_human")["meta"]
        assert meta["handoff_state"] == "waiting" and meta["handoff_key"]
        return int(meta["route"]["id"]), str(meta["handoff_key"])

    def inbox(self, key: str) -> httpx.Response:
        return self.client.get(f"/api/handoffs/inbox/{SENDER}", headers={"X-Handoff-Key": key})


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    def settings(rasa_url: str) -> Settings:
        return make_settings(
            tmp_path, internal_token=TOKEN, rasa_url=rasa_url, chat_budget_s=20.0, handoff_timeout_min=30.0
        )

    with running(token=TOKEN, settings_for=settings) as (client, rasa, _):
        yield Gateway(client, rasa)


def test_the_bot_is_quiet_while_a_person_has_the_conversation(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    asked = len(gw.rasa.received)
    first = gw.chat("我的社保卡是在外地办的", key=key)
    assert [m["text"] for m in first["messages"]] == [said("passed_on")]  # told once that it was passed on
    assert first["meta"]["handoff_state"] == "passed" and first["meta"]["route"] == {"kind": "handoff", "id": str(hid)}
    second = gw.chat("能在这里补吗", key=key)
    assert second["messages"] == [] and second["meta"]["handoff_state"] == "passed"  # not on every message
    assert len(gw.rasa.received) == asked  # Rasa was not asked at all
    assert gw.thread(hid)[-2:] == [("user", "我的社保卡是在外地办的"), ("user", "能在这里补吗")]
    gw.age(hid, minutes=6)  # HANDOFF_ACK_EVERY_MIN (5) later: one more acknowledgement
    assert [m["text"] for m in gw.chat("还在吗", key=key)["messages"]] == [said("passed_on")]


def test_a_second_request_for_a_person_returns_the_open_handoff(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    asked = len(gw.rasa.received)
    for words in ("/request_human", "我要人工客服"):
        again = gw.chat(words, key=key)
        assert [m["text"] for m in again["messages"]] == [said("already_waiting")]
        assert again["meta"]["route"]["id"] == str(hid) and again["meta"]["handoff_key"] is None
    assert len(gw.rasa.received) == asked
    body = {"sender": SENDER, "channel": "widget", "transcript": [{"from": "user", "text": "转人工"}]}
    resp = gw.client.post("/api/handoffs", json=body, headers={"X-Internal-Token": TOKEN})  # the action server
    assert resp.status_code == 200 and resp.json()["handoff_id"] == hid and resp.json()["existing"] is True
    with gw.db.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Handoff).where(Handoff.sender == SENDER))
    assert count == 1
    assert gw.thread(hid)[-2:] == [("user", SAY.text("buttons", "human")), ("user", "我要人工客服")]


def test_without_the_key_the_bot_answers_and_the_thread_is_untouched(gw: Gateway) -> None:
    """Knowing a widget's sender id is not enough to write into its thread, or to silence its bot."""
    hid, _ = gw.open_handoff()
    before = gw.thread(hid)
    reply = gw.chat("冒名插话")
    assert reply["meta"]["handoff_state"] is None and "冒名插话" in reply["messages"][0]["text"]
    assert gw.thread(hid) == before


def test_the_agent_ends_it_and_the_bot_answers_again(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    with gw.db.sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None
        service.agent_reply(session=session, handoff=h, text="您好，可以补", agent="agent-1")
        service.close_handoff(session=session, handoff=h, agent="agent-1")
    lines = gw.inbox(key).json()
    assert [(m["from"], m["text"]) for m in lines] == [("agent", "您好，可以补"), ("system", said("ended_by_agent"))]
    with gw.db.sessions() as session:  # the widget's inbox poll delivered both
        assert set(session.scalars(select(HandoffDelivery.state))) == {"sent"}
    asked = len(gw.rasa.received)
    reply = gw.chat("社保卡丢了怎么补", key=key)
    assert len(gw.rasa.received) == asked + 1 and reply["meta"]["handoff_state"] is None
    assert gw.handoff(hid).closed_reason == "agent"


def test_the_timeout_hands_the_citizen_back_to_the_bot(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    with gw.db.sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None
        service.agent_reply(session=session, handoff=h, text="我查一下", agent="agent-1")
    gw.age(hid, minutes=29)  # the timeout counts from the last agent reply: not yet
    with gw.db.sessions() as session:
        assert mode.expire_idle(session=session, timeout=timedelta(minutes=30)) == []
    gw.age(hid, minutes=2)
    with gw.db.sessions() as session:  # the background pass (api/handoff/runtime.py)
        assert mode.expire_idle(session=session, timeout=timedelta(minutes=30)) == [hid]
    h = gw.handoff(hid)
    assert h.status == "closed" and h.closed_reason == "timeout"
    assert gw.thread(hid)[-1] == ("system", said("ended_by_timeout"))
    last = gw.inbox(key).json()[-1]  # the widget reads the notice in its inbox poll
    assert (last["from"], last["text"]) == ("system", said("ended_by_timeout"))
    asked = len(gw.rasa.received)
    gw.chat("社保卡丢了怎么补", key=key)
    assert len(gw.rasa.received) == asked + 1


def test_a_late_background_pass_never_keeps_the_bot_quiet(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    gw.age(hid, minutes=31)  # nobody replied, and the background pass has not run yet
    asked = len(gw.rasa.received)
    reply = gw.chat("还有人吗", key=key)
    assert len(gw.rasa.received) == asked + 1 and reply["meta"]["handoff_state"] is None
    assert gw.handoff(hid).closed_reason == "timeout" and gw.thread(hid)[-1][0] == "system"


def test_without_a_database_the_bot_answers(gw: Gateway) -> None:
    _, key = gw.open_handoff()
    db = gw.client.app.state.db  # type: ignore[attr-defined]
    db.ready = False
    try:
        asked = len(gw.rasa.received)
        gw.chat("数据库坏了也要有回答", key=key)
        assert len(gw.rasa.received) == asked + 1
    finally:
        db.ready = True


def test_a_sealed_address_opens_only_for_its_sender_and_key() -> None:
    box = AddressBox("k" * 40)
    sealed = box.seal("oyORnuP8q7ou2gfYjqLzSIWZf0rs", sender="wx:a")
    assert "oyORnu" not in sealed and box.seal("oyORnuP8q7ou2gfYjqLzSIWZf0rs", sender="wx:a") != sealed
    assert box.open(sealed, sender="wx:a") == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    for other_box, sender in ((box, "wx:b"), (AddressBox("j" * 40), "wx:a")):
        with pytest.raises(AddressError):
            other_box.open(sealed, sender=sender)
    with pytest.raises(AddressError):
        box.open(sealed[:-4], sender="wx:a")
