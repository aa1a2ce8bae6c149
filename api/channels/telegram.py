"""Telegram through python-telegram-bot: the webhook's updates (POST /telegram/webhook, api/channels/routes.py),
and `--polling` for development.

Polling: `python -m api.channels.telegram --polling` (or `make telegram`); answers come from the running
gateway's POST /api/chat.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging

import httpx
from fastapi import HTTPException, Request
from fastapi.responses import Response
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from api.channels import core
from api.channels.identity import install_log_redaction, sender_id
from api.channels.render import say
from api.channels.runtime import ChannelsRuntime, build_runtime
from api.channels.telegram_api import TEXT_MAX_BYTES, TelegramChannel
from api.chat import feedback
from api.chat.schemas import Button, Channel, ChatReply, ChatService
from api.core.db import Database
from api.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_MAX_BYTES = 64  # Telegram's limit on callback_data
ALLOWED_UPDATES = ["message", "callback_query"]
INDEX_PREFIX = "#"  # callback_data "#2": payload too long for Telegram, look up choice 2 of the last answer


def keyboard(choices: list[Button]) -> InlineKeyboardMarkup | None:
    """One row per choice; 有用 / 没用 / 没找到 (api/chat/feedback.py) share the last row."""
    if not choices:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    rated: list[InlineKeyboardButton] = []
    for i, button in enumerate(choices, start=1):
        data = button.payload if len(button.payload.encode("utf-8")) <= CALLBACK_MAX_BYTES else f"{INDEX_PREFIX}{i}"
        key = InlineKeyboardButton(button.title[:64], callback_data=data)
        if feedback.parse_payload(button.payload) is not None:
            rated.append(key)
        else:
            rows.append([key])
    if rated:
        rows.append(rated)
    return InlineKeyboardMarkup(rows)


async def handle_update(rt: ChannelsRuntime, chat: ChatService, channel: TelegramChannel, update: Update) -> None:
    """One update: a text message or an inline-button press in, the bot's answer (with its keyboard) out."""
    bot = await channel.ready_bot()
    chat_id: int
    text: str
    map_choice = True
    if update.callback_query is not None:
        query = update.callback_query
        await bot.answer_callback_query(query.id)
        if query.message is None or not query.data:
            return
        chat_id, user = query.message.chat.id, query.from_user.id
        text = query.data
        sender = sender_id("telegram", user, key=rt.settings.secret_key)
        if text.startswith(INDEX_PREFIX) and text[1:].isdigit():
            text = text[1:]  # resolved against the stored choices, like a typed "2"
        else:
            map_choice = False
    elif update.effective_message is not None and update.effective_chat is not None:
        message = update.effective_message
        chat_id = update.effective_chat.id
        user_id = message.from_user.id if message.from_user else chat_id
        sender = sender_id("telegram", user_id, key=rt.settings.secret_key)
        if not message.text:
            await bot.send_message(chat_id, say("unsupported"))
            return
        text = message.text
        if text.strip().split("@")[0] == "/start":
            await bot.send_message(chat_id, say("welcome"))
            return
    else:
        return
    rendered = await core.answer(
        rt,
        chat,
        channel="telegram",
        sender=sender,
        text=text,
        max_bytes=TEXT_MAX_BYTES,
        numbered=False,
        map_choice=map_choice,
        address=str(chat_id),  # where an agent's sendMessage goes while a person has the conversation
    )
    markup = keyboard(rendered.choices)
    for i, chunk in enumerate(rendered.chunks):
        last = i == len(rendered.chunks) - 1
        await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)


async def receive(request: Request, rt: ChannelsRuntime, channel: TelegramChannel, chat: ChatService) -> Response:
    """POST /telegram/webhook: secret header first (constant time), then a size-limited body; the answer is sent
    in the background."""
    given = request.headers.get(SECRET_HEADER, "")
    if not channel.secret_token or not hmac.compare_digest(given.encode(), channel.secret_token.encode()):
        raise HTTPException(status_code=403, detail="bad secret token")
    body = await core.read_body(request, rt.settings.channel_max_body_bytes)
    try:
        data = json.loads(body)
        update = Update.de_json(data, channel.bot) if isinstance(data, dict) else None
    except Exception as exc:  # any malformed update is the sender's fault, never a 500
        raise HTTPException(status_code=400, detail="malformed update") from exc
    if update is None:
        raise HTTPException(status_code=400, detail="malformed update")
    if await core.claim(rt, channel="telegram", key=f"update:{update.update_id}"):
        rt.spawn(handle_update(rt, chat, channel, update), name="telegram-update")
    return Response(status_code=200)


# --- polling mode (development) -------------------------------------------------------------------------------


class GatewayChat:
    """ChatService over the running gateway's POST /api/chat, for the stand-alone polling process; the internal
    token lets it use `tg:` sender ids there, which /api/chat refuses from anyone else."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, internal_token: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.internal_token = internal_token

    async def turn(self, *, sender: str, message: str, channel: Channel) -> ChatReply:
        headers = {"X-Internal-Token": self.internal_token, "X-Chat-Channel": channel}
        body = {"sender": sender, "message": message}
        resp = await self.client.post(f"{self.base_url}/api/chat", json=body, headers=headers)
        resp.raise_for_status()
        return ChatReply.model_validate(resp.json())


async def poll(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    install_log_redaction()
    db = Database.connect(settings.database_url)
    await asyncio.to_thread(db.upgrade)
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
        rt = build_runtime(settings, client, db)
        if rt.telegram is None:
            raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
        tg = rt.telegram
        chat = GatewayChat(client, settings.chat_gateway_url, settings.internal_token)
        bot = await tg.ready_bot()
        await bot.delete_webhook()
        log.info("telegram polling as @%s; answers from %s", bot.username, settings.chat_gateway_url)
        offset: int | None = None
        try:
            while stop is None or not stop.is_set():
                updates = await bot.get_updates(offset=offset, timeout=20, allowed_updates=ALLOWED_UPDATES)
                for update in updates:
                    offset = update.update_id + 1
                    try:
                        await handle_update(rt, chat, tg, update)
                    except Exception as exc:
                        log.error("telegram update failed: %s", type(exc).__name__)
        finally:
            await tg.shutdown()
            db.dispose()


async def set_webhook(settings: Settings) -> str:
    """Points Telegram at {PUBLIC_BASE_URL}/telegram/webhook with our secret token."""
    if not settings.telegram_bot_token or not settings.telegram_secret_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN must be set")
    url = f"{settings.public_base_url.rstrip('/')}/telegram/webhook"
    channel = TelegramChannel.create(settings)
    bot = await channel.ready_bot()
    try:
        await bot.set_webhook(url, secret_token=settings.telegram_secret_token, allowed_updates=ALLOWED_UPDATES)
    finally:
        await channel.shutdown()
    return url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.channels.telegram")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--polling", action="store_true", help="long-poll getUpdates (development)")
    mode.add_argument("--set-webhook", action="store_true", help="register {PUBLIC_BASE_URL}/telegram/webhook")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from api.settings import get_settings

    if args.set_webhook:
        print(asyncio.run(set_webhook(get_settings())))
    else:
        asyncio.run(poll(get_settings()))


if __name__ == "__main__":
    main()
