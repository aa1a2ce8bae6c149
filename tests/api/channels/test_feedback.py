"""有用 / 没用 / 没找到 on WeChat (a numbered line, numbers after the answer's own choices) and Telegram (buttons).

The fake bot answers through the gateway's real RecordingChatService, so every turn is recorded as in production
and the feedback rows link to real turns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api.channels.render import say
from api.chat import feedback
from api.chat.feedback import AnswerFeedback
from api.chat.recording import RecordingChatService
from api.chat.schemas import Button, ChatMessage, ChatMeta, ChatReply, Route
from api.deps import get_chat
from api.handoff.models import ChatTurn
from tests.api.channels.conftest import OPENID, Harness, channel_settings, expected_sender, hook, text_xml
from tests.api.channels.fakes import FakeChat, FakeTelegramApi, FakeWeChatApi
from tests.support.app import gateway_client
from tests.support.channels import CHAT, callback_update, message_update, reply_fields

QUESTION = "我电话13812345678，社保卡丢了咋办"
CARD = {"id": "ss-card-replace", "name": "社会保障卡挂失与补换", "summary": "先挂失，再补卡。"}


def guide_reply(buttons: list[tuple[str, str]] | None = None) -> ChatReply:
    card = ChatMessage(type="guide_card", text="社保卡丢了先挂失，再补卡。", card=CARD)
    msgs = [card]
    if buttons:
        msgs.append(
            ChatMessage(type="buttons", text="您还想问：", buttons=[Button(title=t, payload=p) for t, p in buttons])
        )
    return ChatReply(messages=msgs, meta=ChatMeta(route=Route(kind="guide", id="ss-card-replace"), confidence=0.97))


@pytest.fixture
def h(tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat) -> Iterator[Harness]:
    """The channels' harness, with the fake bot behind the recording service every channel calls in production."""
    settings = channel_settings(tmp_path, fake_api, fake_telegram)
    with gateway_client(settings) as client:
        app: Any = client.app
        recording = RecordingChatService(chat, app.state.db)
        app.dependency_overrides[get_chat] = lambda: recording
        yield Harness(client=client, chat=chat, api=fake_api, telegram=fake_telegram, settings=settings)


def rows(h: Harness) -> list[AnswerFeedback]:
    with h.client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(AnswerFeedback).order_by(AnswerFeedback.id)))


def turns(h: Harness) -> list[ChatTurn]:
    with h.client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(ChatTurn).order_by(ChatTurn.id)))


def wechat(h: Harness, text: str, msg_id: str) -> str:
    resp = h.post_wechat(text_xml(text, msg_id=msg_id))
    assert resp.status_code == 200 and resp.text != "success", resp.text
    return reply_fields(resp.text)["Content"]


def test_wechat_answer_ends_with_the_numbered_line_and_a_number_records_feedback(h: Harness) -> None:
    h.chat.answers[QUESTION] = guide_reply()
    answer = wechat(h, QUESTION, "7001")
    assert answer.endswith(say("feedback_prompt", useful="1", not_useful="2", not_found="3"))
    assert len(answer.encode()) <= h.settings.wechat_text_max_bytes

    thanks = wechat(h, "2", "7002")
    assert thanks == say("feedback_thanks_more")
    assert [m for _, m, _ in h.chat.calls] == [QUESTION]  # the number never reached the bot
    (row,) = rows(h)
    (turn,) = turns(h)  # the number is no chat turn either
    assert (row.turn_id, row.value, row.channel, row.route_id) == (turn.id, "not_useful", "wechat", "ss-card-replace")
    assert row.sender == expected_sender(h.settings, "wechat", OPENID)
    assert "13812345678" not in row.question and "[电话]" in row.question

    assert wechat(h, "１", "7003") == say("feedback_thanks")  # a second reply replaces the first
    assert [r.value for r in rows(h)] == ["useful"]
    assert wechat(h, "2", "7002") == say("feedback_thanks_more")  # a retried MsgId: its old reply
    assert [r.value for r in rows(h)] == ["useful"]  # and no second recording


def test_wechat_feedback_numbers_follow_the_answers_own_choices(h: Harness) -> None:
    h.chat.answers["社保卡"] = guide_reply([("去哪办", "/ask_where"), ("要带啥", "/ask_materials")])
    answer = wechat(h, "社保卡", "7101")
    assert "回复 1 去哪办" in answer and "回复 2 要带啥" in answer
    assert answer.endswith(say("feedback_prompt", useful="3", not_useful="4", not_found="5"))
    wechat(h, "1", "7102")
    assert h.chat.calls[-1][1] == "/ask_where"  # the answer's own choice still goes to the bot
    h.chat.answers["/ask_where"] = guide_reply()
    wechat(h, "社保卡", "7103")
    assert wechat(h, "5", "7104") == say("feedback_thanks_more")
    assert [r.value for r in rows(h)] == ["not_found"]


def test_no_numbered_line_after_replies_that_are_not_answers(h: Harness) -> None:
    h.chat.answers["啥"] = ChatReply(messages=[ChatMessage(text="抱歉，我没找到。")], meta=ChatMeta())
    answer = wechat(h, "啥", "7201")
    assert answer == "抱歉，我没找到。"
    wechat(h, "1", "7202")
    assert h.chat.calls[-1][1] == "1"  # no choices: "1" is text for the bot
    assert rows(h) == []


def test_a_full_one_chunk_answer_stays_one_passive_reply_without_the_line(h: Harness) -> None:
    budget = h.settings.wechat_text_max_bytes
    text = "很" * ((budget - 10) // 3)  # leaves no room for the line
    h.chat.answers["满"] = ChatReply(
        messages=[ChatMessage(text=text)], meta=ChatMeta(route=Route(kind="guide", id="ss-card-replace"))
    )
    assert wechat(h, "满", "7301") == text  # passive, one chunk, no send API
    assert h.api.sent == []
    wechat(h, "1", "7302")
    assert h.chat.calls[-1][1] == "1" and rows(h) == []


def test_a_long_answer_gets_the_line_in_its_last_message(h: Harness) -> None:
    long = "\n".join(f"第{i}步：带身份证原件到二楼社保窗口，复印件正反面印在同一页。" for i in range(80))
    h.chat.answers["长"] = ChatReply(
        messages=[ChatMessage(text=long)], meta=ChatMeta(route=Route(kind="guide", id="ss-card-replace"))
    )
    assert h.post_wechat(text_xml("长", msg_id="7401")).text == "success"
    deadline = time.monotonic() + 5
    while not (h.api.sent and "有用" in h.api.sent[-1]["text"]["content"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = [m["text"]["content"] for m in h.api.sent]
    assert sent[-1].endswith(say("feedback_prompt", useful="1", not_useful="2", not_found="3"))
    assert all(len(c.encode()) <= h.settings.wechat_text_max_bytes for c in sent)


def test_telegram_answer_has_three_buttons_in_one_row_and_a_press_records_feedback(h: Harness) -> None:
    h.chat.answers["社保卡丢了"] = guide_reply([("去哪办", "/ask_where")])
    assert hook(h, message_update(30, "社保卡丢了")).status_code == 200
    (sent,) = h.telegram.wait_for("sendMessage", 1)
    assert sent["text"].endswith(say("feedback_question"))
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert keyboard[0] == [{"text": "去哪办", "callback_data": "/ask_where"}]
    assert [b["text"] for b in keyboard[1]] == [
        say("feedback_useful"),
        say("feedback_not_useful"),
        say("feedback_not_found"),
    ]
    (turn,) = turns(h)
    assert [b["callback_data"] for b in keyboard[1]] == [feedback.payload(turn.id, v) for v in feedback.VALUES]

    assert hook(h, callback_update(31, keyboard[1][0]["callback_data"])).status_code == 200
    thanks = h.telegram.wait_for("sendMessage", 2)[-1]
    assert thanks["chat_id"] == CHAT["id"] and thanks["text"] == say("feedback_thanks")
    assert [m for _, m, _ in h.chat.calls] == ["社保卡丢了"]
    (row,) = rows(h)
    assert (row.turn_id, row.value, row.channel) == (turn.id, "useful", "telegram")

    hook(h, message_update(32, "3"))  # typed, the number works too: 1 去哪办, 2 有用, 3 没用
    h.telegram.wait_for("sendMessage", 3)
    assert [r.value for r in rows(h)] == ["not_useful"]


def test_a_forged_feedback_button_for_someone_elses_turn_records_nothing(h: Harness) -> None:
    h.chat.answers["社保卡丢了"] = guide_reply()
    wechat(h, "社保卡丢了", "7501")  # a WeChat user's turn
    (turn,) = turns(h)
    hook(h, callback_update(40, feedback.payload(turn.id, "not_useful")))  # pressed by a Telegram user
    assert h.telegram.wait_for("sendMessage", 1)[-1]["text"] == say("feedback_gone")
    assert rows(h) == []
