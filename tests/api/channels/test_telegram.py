"""Telegram: webhook secret check, a round trip through a fake Bot API, inline keyboards, polling mode."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from api.channels.render import say
from api.channels.telegram import SECRET_HEADER, poll, set_webhook
from tests.api.channels.conftest import TG_SECRET, TG_TOKEN, Harness, expected_sender, hook
from tests.api.channels.fakes import FakeTelegramApi, buttons_reply
from tests.support.app import make_settings
from tests.support.channels import CHAT, USER, callback_update, message_update


def test_secret_token_is_checked_before_parsing(h: Harness) -> None:
    assert hook(h, message_update(1, "你好"), secret=None).status_code == 403
    assert hook(h, message_update(1, "你好"), secret="wrong").status_code == 403
    assert hook(h, message_update(1, "你好"), secret=TG_SECRET + "x").status_code == 403
    headers = {SECRET_HEADER: "wrong"}
    assert h.client.post("/telegram/webhook", content=b"{broken", headers=headers).status_code == 403
    assert h.chat.calls == []
    ok = {SECRET_HEADER: TG_SECRET}
    for body in (b"{broken", b"[]", b'{"update_id": "x", "message": 5}'):
        assert h.client.post("/telegram/webhook", content=body, headers=ok).status_code == 400
    assert h.client.post("/telegram/webhook", content=b"x" * 40_000, headers=ok).status_code == 413


def test_message_round_trip_with_inline_keyboard_and_callback(h: Harness) -> None:
    h.chat.answers["社保卡丢了"] = buttons_reply(
        "可以补办。您想了解：", [("查看所需材料", "/ask_materials"), ("长按钮", "/x" + "y" * 80)]
    )
    assert hook(h, message_update(10, "社保卡丢了")).status_code == 200
    sent = h.telegram.wait_for("sendMessage", 1)
    assert sent[0]["chat_id"] == CHAT["id"]
    assert sent[0]["text"] == "可以补办。您想了解："
    rows = sent[0]["reply_markup"]["inline_keyboard"]
    assert rows[0][0] == {"text": "查看所需材料", "callback_data": "/ask_materials"}
    assert rows[1][0]["callback_data"] == "#2"  # too long for Telegram: looked up in the stored choices
    sender = h.chat.calls[0][0]
    assert sender == expected_sender(h.settings, "telegram", 777001)

    assert hook(h, callback_update(11, "/ask_materials")).status_code == 200
    h.telegram.wait_for("sendMessage", 2)
    assert h.chat.calls[-1][1] == "/ask_materials"
    assert h.telegram.wait_for("answerCallbackQuery", 1)[0]["callback_query_id"] == "cb11"

    h.chat.answers["再问"] = h.chat.answers["社保卡丢了"]
    hook(h, message_update(12, "再问"))
    h.telegram.wait_for("sendMessage", 3)
    hook(h, callback_update(13, "#2"))
    h.telegram.wait_for("sendMessage", 4)
    assert h.chat.calls[-1][1] == "/x" + "y" * 80


def test_start_unsupported_and_duplicate_updates(h: Harness) -> None:
    hook(h, message_update(20, "/start"))
    photo = message_update(21, "")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    hook(h, photo)
    for _ in range(3):
        hook(h, message_update(22, "营业执照"))
    sent = h.telegram.wait_for("sendMessage", 3)
    time.sleep(0.3)
    texts = [p["text"] for p in h.telegram.sent()]
    assert say("welcome") in texts and say("unsupported") in texts
    assert texts.count("您问的是：营业执照") == 1 and len(sent) == 3
    assert [c[1] for c in h.chat.calls] == ["营业执照"]


def test_polling_mode(tmp_path: Path) -> None:
    def gateway(sender: str, message: str) -> dict[str, Any]:
        return {"messages": [{"type": "text", "text": f"网关答：{message}"}], "meta": {}}

    with FakeTelegramApi(TG_TOKEN, chat=gateway) as tg:
        tg.updates.append(message_update(30, "护照怎么办"))
        settings = make_settings(
            tmp_path, telegram_bot_token=TG_TOKEN, telegram_api_base=tg.base_url, chat_gateway_url=tg.base_url
        )

        async def run() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(poll(settings, stop=stop))
            await asyncio.to_thread(tg.wait_for, "sendMessage", 1)
            stop.set()
            await asyncio.wait_for(task, 10)

        asyncio.run(run())
        assert tg.sent()[0]["text"] == "网关答：护照怎么办"
        assert any(name == "deleteWebhook" for name, _ in tg.calls)
        (turn,) = [p for name, p in tg.calls if name == "/api/chat"]
        assert turn["sender"] == expected_sender(settings, "telegram", USER["id"])
        # /api/chat refuses tg: senders unless the caller holds the internal token
        assert turn["headers"]["x-internal-token"] == settings.internal_token
        assert turn["headers"]["x-chat-channel"] == "telegram"


def test_set_webhook_registers_url_and_secret(tmp_path: Path) -> None:
    with FakeTelegramApi(TG_TOKEN) as tg:
        settings = make_settings(
            tmp_path,
            telegram_bot_token=TG_TOKEN,
            telegram_secret_token=TG_SECRET,
            telegram_api_base=tg.base_url,
            public_base_url="https://banshi.example.gov.cn/",
        )
        assert asyncio.run(set_webhook(settings)) == "https://banshi.example.gov.cn/telegram/webhook"
        params = tg.wait_for("setWebhook", 1)[0]
        assert params["url"] == "https://banshi.example.gov.cn/telegram/webhook"
        assert params["secret_token"] == TG_SECRET
