"""Sender spoofing (#13 item 3): /api/chat refuses channel sender ids, and a handoff's inbox and thread need its key.

The gateway runs in process against the fake Rasa, whose 转人工 opens the handoff through POST /api/handoff with
the internal token, as bot/actions/handoff.py does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.chat.content import load_messages
from api.handoff import service
from api.handoff.models import Handoff
from api.settings import Settings
from tests.support.app import make_settings
from tests.support.gateway import GatewayRig, running

TOKEN = "test-internal-token-of-the-action-server"
WIDGET = {"X-Chat-Channel": "widget"}
SENDER = "w-" + "5e" * 16
OTHER = "w-" + "a7" * 16
BAD_FIELDS = load_messages().text("refusal", "bad_fields")


class Gateway(GatewayRig):
    def chat(self, message: str, *, sender: str = SENDER, key: str | None = None, **headers: str) -> httpx.Response:
        h = {**WIDGET, **headers, **({"X-Handoff-Key": key} if key is not None else {})}
        return self.client.post("/api/chat", json={"sender": sender, "message": message}, headers=h)

    def open_handoff(self, *, sender: str = SENDER, key: str | None = None) -> tuple[int, str]:
        resp = self.chat("/request_human", sender=sender, key=key)
        assert resp.status_code == 200, resp.text
        meta = resp.json()["meta"]
        assert meta["route"]["kind"] == "handoff" and meta["handoff_key"]
        return int(meta["route"]["id"]), str(meta["handoff_key"])

    def inbox(self, sender: str, key: str | None = None, after: int = 0) -> httpx.Response:
        headers = {"X-Handoff-Key": key} if key is not None else {}
        return self.client.get(f"/api/handoffs/inbox/{sender}", params={"after": after}, headers=headers)


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    # the fake Rasa opens the handoff by calling back into this gateway: on a busy machine that can pass the 3 s
    # chat budget, and the degraded answer carries no key; these tests are about keys, not the budget
    def settings(rasa_url: str) -> Settings:
        return make_settings(tmp_path, internal_token=TOKEN, rasa_url=rasa_url, chat_budget_s=20.0)

    with running(token=TOKEN, settings_for=settings) as (client, rasa, _):
        yield Gateway(client, rasa)


def _wechat_handoff(gw: Gateway, sender: str) -> int:
    body: dict[str, Any] = {"sender": sender, "channel": "wechat", "transcript": [{"from": "user", "text": "转人工"}]}
    resp = gw.client.post("/api/handoffs", json=body, headers={"X-Internal-Token": TOKEN})
    assert resp.status_code == 201
    return int(resp.json()["handoff_id"])


@pytest.mark.parametrize("prefix", ["wx", "mp", "tg", "WX", "Tg"])
def test_api_chat_refuses_channel_sender_ids(gw: Gateway, prefix: str) -> None:
    victim = f"{prefix.lower()}:0123456789abcdef"
    hid = _wechat_handoff(gw, victim)
    resp = gw.chat("我是他，把我的事说给我听", sender=f"{prefix}:0123456789abcdef")
    assert resp.status_code == 422 and resp.json()["detail"] == BAD_FIELDS
    assert gw.rasa.received == []  # never reached the bot under that identity
    assert gw.thread(hid) == [("user", "转人工")]  # nor the WeChat user's handoff


@pytest.mark.parametrize("sender", ["wxid-123", "w-tg:1", "web:wx", "tgx:1"])
def test_other_senders_with_colons_are_still_accepted(gw: Gateway, sender: str) -> None:
    assert gw.chat("你好", sender=sender).status_code == 200


def test_the_internal_caller_may_speak_for_a_channel_user(gw: Gateway) -> None:
    """The Telegram polling process sends its turns through /api/chat with the internal token."""
    tg = "tg:" + "0f" * 16
    resp = gw.chat("你好", sender=tg, **{"X-Internal-Token": TOKEN, "X-Chat-Channel": "telegram"})
    assert resp.status_code == 200
    assert gw.rasa.received[-1]["metadata"] == {"channel": "telegram"}
    assert gw.chat("你好", sender=tg, **{"X-Internal-Token": TOKEN + "x"}).status_code == 422
    assert gw.chat("你好", sender=SENDER, **{"X-Chat-Channel": "telegram"}).status_code == 200
    assert gw.rasa.received[-1]["metadata"] == {"channel": "api"}  # a channel is named by internal callers only


def test_the_widget_gets_the_key_of_the_handoff_it_opened_once(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    assert len(key) >= 40
    with gw.db.sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None and h.sender == SENDER
        assert h.key_hash == hashlib.sha256(key.encode()).hexdigest()  # stored as a digest, never as the key
    later = gw.chat("还在吗", key=key).json()["meta"]
    assert later["handoff_key"] is None
    with gw.db.sessions() as session:  # nobody can make the gateway hand out the key of an existing handoff
        assert service.issue_key(session=session, handoff_id=hid, sender=SENDER) is None
        assert service.issue_key(session=session, handoff_id=hid, sender=OTHER) is None


def test_the_inbox_needs_the_handoffs_key(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    _, other_key = gw.open_handoff(sender=OTHER)
    first = gw.agent_says(hid, "您好，我是人工坐席")
    gw.agent_says(hid, "请带身份证")
    for wrong in (None, "", "x" * 43, other_key, key[:-1]):
        assert gw.inbox(SENDER, wrong).status_code == 404, wrong
    assert gw.inbox(OTHER, key).status_code == 404  # the key is bound to its conversation
    msgs = gw.inbox(SENDER, key).json()
    assert [m["text"] for m in msgs] == ["您好，我是人工坐席", "请带身份证"]
    assert set(msgs[0]) == {"id", "text", "from", "at"} and msgs[0]["from"] == "agent"
    assert [m["text"] for m in gw.inbox(SENDER, key, after=first).json()] == ["请带身份证"]
    assert gw.inbox(OTHER, other_key).json() == []


def test_follow_ups_join_the_thread_only_with_the_key(gw: Gateway) -> None:
    hid, key = gw.open_handoff()
    gw.agent_says(hid, "您好，请讲")
    assert gw.chat("没有钥匙也想插话").status_code == 200
    assert gw.chat("错的钥匙", key="x" * 43).status_code == 200
    assert gw.thread(hid) == [("user", "转人工"), ("agent", "您好，请讲")]
    assert gw.chat("我的社保卡在外地办的", key=key).status_code == 200
    assert gw.thread(hid)[-1] == ("user", "我的社保卡在外地办的")
    with gw.db.sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None and h.status == "open"  # back to the top of the queue


def close(gw: Gateway, handoff_id: int) -> None:
    with gw.db.sessions() as session:
        h = session.get(Handoff, handoff_id)
        assert h is not None
        service.close_handoff(session=session, handoff=h, agent="agent-1")


def agent_lines(resp: httpx.Response) -> list[str]:
    return [m["text"] for m in resp.json() if m["from"] == "agent"]


def test_a_second_handoff_in_the_same_conversation_keeps_the_key(gw: Gateway) -> None:
    first, key = gw.open_handoff()
    again = gw.chat("/request_human", key=key).json()["meta"]  # one open handoff per sender: the same one
    assert again["route"]["id"] == str(first) and again["handoff_key"] is None
    close(gw, first)
    second, kept = gw.open_handoff(key=key)  # after it ended, a new one; the widget keeps its key
    assert second != first and kept == key
    gw.agent_says(first, "第一位坐席")
    gw.agent_says(second, "第二位坐席")
    assert agent_lines(gw.inbox(SENDER, key)) == ["第一位坐席", "第二位坐席"]
    gw.chat("谢谢两位", key=key)
    assert gw.thread(second)[-1] == ("user", "谢谢两位")  # the open handoff gets the line
    close(gw, second)
    third, fresh = gw.open_handoff()  # without the key (another tab, cleared storage): a new key of its own
    assert fresh != key
    gw.agent_says(third, "第三位坐席")
    assert agent_lines(gw.inbox(SENDER, fresh)) == ["第三位坐席"]
    assert "第三位坐席" not in agent_lines(gw.inbox(SENDER, key))


def test_no_key_without_a_handoff(gw: Gateway) -> None:
    gw.rasa.mode = "error"  # degraded: the gateway offers the hotline, nobody opened a handoff
    meta = gw.chat("/request_human").json()["meta"]
    assert meta["route"]["kind"] == "handoff" and meta["route"]["id"] is None and meta["handoff_key"] is None
