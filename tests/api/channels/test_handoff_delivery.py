"""Handoff mode on the signed channels (#15 item 4): an agent's reply reaches a 公众号, a 小程序 and a Telegram user
through the fake WeChat customer-service API and the fake Bot API, through the outbox, with retries; the bot is
quiet during the handoff; the timeout hands the citizen back.

The full chat path runs: the channel route, the gateway's chat service and the fake Rasa, whose 转人工 opens the
handoff at the gateway as bot/actions/handoff.py does. The outbox pass is run by hand (`deliver`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.chat.content import load_messages
from api.handoff import delivery
from api.handoff.address import AddressBox
from api.handoff.models import Handoff, HandoffDelivery
from api.handoff.runtime import HandoffWorker
from api.settings import Settings
from tests.api.channels.conftest import MP_TOKEN, OPENID, channel_settings, expected_sender, signed, text_xml
from tests.api.channels.fakes import FakeTelegramApi, FakeWeChatApi
from tests.support.channels import CHAT, MP_OPENID, message, message_update
from tests.support.gateway import GatewayRig, running

INTERNAL = "test-internal-token-of-the-action-server"
SAY = load_messages()
FAKE_RASA_HANDOFF = "已经帮您转人工"  # what the fake Rasa says when it opened the handoff


@dataclass
class Rig(GatewayRig):
    api: FakeWeChatApi
    telegram: FakeTelegramApi
    settings: Settings

    def deliver(self) -> delivery.DeliveryStats:
        """One background pass (timeouts, pushes, address wipes), on the app's own event loop."""
        worker: HandoffWorker = self.client.app.state.handoff_worker  # type: ignore[attr-defined]
        assert self.client.portal is not None
        stats: delivery.DeliveryStats = self.client.portal.call(worker.run_once)
        return stats

    def telegram_says(self, update_id: int, text: str) -> Any:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.settings.telegram_secret_token}
        return self.client.post("/telegram/webhook", json=message_update(update_id, text), headers=headers)

    def wechat(self, text: str, msg_id: int) -> Any:
        return self.client.post("/wechat", params=signed(), content=text_xml(text, msg_id=str(msg_id)))

    def handoff_of(self, sender: str) -> Handoff:
        with self.db.sessions() as session:
            h = session.scalars(select(Handoff).where(Handoff.sender == sender)).one()
            _ = h.messages
            return h

    def delivery_of(self, message_id: int) -> HandoffDelivery:
        with self.db.sessions() as session:
            row = session.scalars(select(HandoffDelivery).where(HandoffDelivery.message_id == message_id)).one()
            return row


@pytest.fixture
def rig(tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi) -> Iterator[Rig]:
    def settings_for(rasa_url: str) -> Settings:
        return channel_settings(
            tmp_path,
            fake_api,
            fake_telegram,
            internal_token=INTERNAL,
            rasa_url=rasa_url,
            chat_budget_s=20.0,  # the fake Rasa calls back into this gateway: no degraded answer on a busy machine
            handoff_delivery_max_attempts=3,
            handoff_delivery_backoff_s=0.05,
            handoff_delivery_backoff_max_s=0.1,
        )

    with running(token=INTERNAL, settings_for=settings_for) as (client, rasa, settings):
        yield Rig(client=client, rasa=rasa, api=fake_api, telegram=fake_telegram, settings=settings)


def passive_text(resp: Any) -> str:
    assert resp.status_code == 200
    return str(resp.text)


def open_on_wechat(rig: Rig) -> Handoff:
    resp = rig.wechat("转人工", 1001)
    assert FAKE_RASA_HANDOFF in passive_text(resp)  # the bot's own answer, passively
    h = rig.handoff_of(expected_sender(rig.settings, "wechat", OPENID))
    assert h.channel == "wechat" and h.address is not None
    return h


def test_an_agent_reply_reaches_the_wechat_user(rig: Rig) -> None:
    h = open_on_wechat(rig)
    assert OPENID not in (h.address or "")  # sealed, bound to its sender
    assert AddressBox(rig.settings.secret_key).open(h.address or "", sender=h.sender) == OPENID
    mid = rig.agent_says(h.id, "您好，我是12345的小王，您的社保卡可以在外地补。")
    assert rig.delivery_of(mid).state == "pending"
    assert rig.deliver().sent == 1
    assert rig.api.sent[-1] == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "您好，我是12345的小王，您的社保卡可以在外地补。"},
    }
    assert rig.delivery_of(mid).state == "sent"


def test_the_bot_is_quiet_on_wechat_during_the_handoff(rig: Rig) -> None:
    h = open_on_wechat(rig)
    asked = len(rig.rasa.received)
    first = passive_text(rig.wechat("我是外地户口", 1002))
    assert SAY.text("handoff", "passed_on") in first  # one short acknowledgement …
    assert rig.wechat("还要带户口本吗", 1003).text == "success"  # … not one per message
    assert len(rig.rasa.received) == asked  # Rasa was never asked
    assert [(m.author, m.text) for m in rig.handoff_of(h.sender).messages][-2:] == [
        ("user", "我是外地户口"),
        ("user", "还要带户口本吗"),
    ]
    again = passive_text(rig.wechat("转人工", 1004))
    assert SAY.text("handoff", "already_waiting") in again
    with rig.db.sessions() as session:
        assert len(session.scalars(select(Handoff).where(Handoff.sender == h.sender)).all()) == 1
    assert rig.api.sent == []  # nothing pushed: the acknowledgements were passive replies


def test_an_agent_reply_reaches_the_miniprogram_user(rig: Rig) -> None:
    resp = rig.client.post("/miniprogram", params=signed(MP_TOKEN), json=message("转人工", 2001))
    assert resp.text == "success"
    assert FAKE_RASA_HANDOFF in rig.api.wait_for(1)[0]["text"]["content"]
    h = rig.handoff_of(expected_sender(rig.settings, "miniprogram", MP_OPENID))
    assert h.channel == "miniprogram"
    mid = rig.agent_says(h.id, "请把身份证拍照发给窗口")
    assert rig.deliver().sent == 1
    assert rig.api.sent[-1] == {"touser": MP_OPENID, "msgtype": "text", "text": {"content": "请把身份证拍照发给窗口"}}
    assert rig.delivery_of(mid).state == "sent"
    asked = len(rig.rasa.received)
    rig.client.post("/miniprogram", params=signed(MP_TOKEN), json=message("好的", 2002))
    assert rig.api.wait_for(3)[-1]["text"]["content"] == SAY.text("handoff", "passed_on")
    assert len(rig.rasa.received) == asked


def test_an_agent_reply_reaches_the_telegram_user(rig: Rig) -> None:
    assert rig.telegram_says(3001, "转人工").status_code == 200
    assert FAKE_RASA_HANDOFF in rig.telegram.wait_for("sendMessage", 1)[0]["text"]
    h = rig.handoff_of(expected_sender(rig.settings, "telegram", CHAT["id"]))
    assert h.channel == "telegram" and h.address is not None
    mid = rig.agent_says(h.id, "您好，请问是哪张卡？")
    assert rig.deliver().sent == 1
    last = rig.telegram.sent()[-1]
    assert int(last["chat_id"]) == CHAT["id"] and last["text"] == "您好，请问是哪张卡？"
    assert rig.delivery_of(mid).state == "sent"


def test_a_failed_send_retries_then_shows_as_failed(rig: Rig) -> None:
    h = open_on_wechat(rig)
    rig.api.failing_sends = 1
    first = rig.agent_says(h.id, "第一条")
    second = rig.agent_says(h.id, "第二条")
    stats = rig.deliver()
    assert stats.retrying == 1 and stats.sent == 0  # the second waits behind the first: the order holds
    row = rig.delivery_of(first)
    assert row.state == "pending" and row.attempts == 1 and "system error" in (row.last_error or "")
    assert _until(rig, lambda: rig.delivery_of(second).state == "sent")
    assert [m["text"]["content"] for m in rig.api.sent] == ["第一条", "第二条"]

    rig.api.failing_sends = 100
    third = rig.agent_says(h.id, "第三条")
    assert _until(rig, lambda: rig.delivery_of(third).state == "failed")
    row = rig.delivery_of(third)
    assert row.attempts == 3 and "WeChat API error -1: system error" in (row.last_error or "")
    assert OPENID not in (row.last_error or "") and "ACCESS-" not in (row.last_error or "")


def test_a_long_reply_sent_in_parts_resumes_after_the_parts_already_through(rig: Rig) -> None:
    h = open_on_wechat(rig)
    paragraphs = [f"第{n}段：" + "社保卡补办请带身份证到一楼东区窗口。" * 30 for n in range(1, 4)]  # ~1.6 kB each
    rig.api.failing_attempts = {rig.api.send_attempts + 2}  # the second part fails once
    mid = rig.agent_says(h.id, "\n\n".join(paragraphs))
    assert rig.deliver().retrying == 1
    row = rig.delivery_of(mid)
    assert row.state == "pending" and row.parts_sent == 1
    assert _until(rig, lambda: rig.delivery_of(mid).state == "sent")
    sent = [m["text"]["content"] for m in rig.api.sent if m["text"]["content"].startswith("第")]
    assert sent == paragraphs  # each part once, in order: the first is not sent again on the retry
    assert rig.delivery_of(mid).parts_sent == 3


def test_a_blocked_telegram_bot_fails_at_once(rig: Rig) -> None:
    rig.telegram_says(3101, "转人工")
    rig.telegram.wait_for("sendMessage", 1)
    h = rig.handoff_of(expected_sender(rig.settings, "telegram", CHAT["id"]))
    rig.telegram.blocked.add(int(CHAT["id"]))
    mid = rig.agent_says(h.id, "您好")
    assert rig.deliver().failed == 1  # a permanent refusal is not retried
    row = rig.delivery_of(mid)
    assert row.state == "failed" and row.attempts == 1 and "blocked" in (row.last_error or "")
    assert str(CHAT["id"]) not in (row.last_error or "")


def test_the_timeout_hands_the_wechat_user_back_to_the_bot(rig: Rig) -> None:
    h = open_on_wechat(rig)
    with rig.db.sessions() as session:
        row = session.get(Handoff, h.id)
        assert row is not None
        row.created_at -= timedelta(minutes=31)  # HANDOFF_TIMEOUT_MIN (30) without an agent reply
        session.commit()
    rig.deliver()  # the pass hands it back and pushes the notice
    assert rig.api.sent[-1]["text"]["content"] == SAY.text("handoff", "ended_by_timeout")
    assert rig.api.sent[-1]["touser"] == OPENID
    back = rig.handoff_of(h.sender)
    assert back.status == "closed" and back.closed_reason == "timeout"
    rig.deliver()
    assert rig.handoff_of(h.sender).address is None  # nothing left to send: the openid is wiped
    asked = len(rig.rasa.received)
    assert "我听到了" in passive_text(rig.wechat("你好", 1201))  # the bot answers again
    assert len(rig.rasa.received) == asked + 1


def _until(rig: Rig, done: Any, timeout_s: float = 10.0) -> bool:
    """Run outbox passes until `done()`; the backoff in these settings is a few tenths of a second."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rig.deliver()
        if done():
            return True
        time.sleep(0.05)
    return bool(done())
