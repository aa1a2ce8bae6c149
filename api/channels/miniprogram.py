"""Mini-program customer-service messages (客服消息, JSON push) at /miniprogram (api/channels/routes.py): same token
and AES rules as the official account; replies always go through the send API (the push is answered "success" at
once)."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import HTTPException, Request

from api.channels import core
from api.channels.identity import sender_id
from api.channels.render import say
from api.channels.runtime import ChannelsRuntime, WeChatAccount
from api.channels.wechat import SUCCESS, check_mode, check_signature
from api.channels.wechat_crypto import WeChatCryptoError
from api.chat.schemas import ChatService

log = logging.getLogger(__name__)


def parse_json(data: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise HTTPException(status_code=400, detail="malformed JSON") from exc
    if not isinstance(value, dict):
        raise HTTPException(status_code=400, detail="malformed JSON")
    return value


def open_envelope(
    account: WeChatAccount,
    body: bytes,
    *,
    encrypt_type: str | None,
    timestamp: str,
    nonce: str,
    msg_signature: str | None,
) -> dict[str, Any]:
    outer = parse_json(body)
    if (encrypt_type or "raw").lower() != "aes":
        return outer
    if account.crypto is None:
        raise HTTPException(status_code=400, detail="safe mode is not configured")
    encrypted = outer.get("Encrypt")
    if not isinstance(encrypted, str) or not account.crypto.msg_signature_ok(
        timestamp=timestamp, nonce=nonce, encrypted=encrypted, msg_signature=msg_signature
    ):
        raise HTTPException(status_code=403, detail="bad msg_signature")
    try:
        plain, _key = account.crypto.decrypt(encrypted)
    except WeChatCryptoError as exc:
        raise HTTPException(status_code=400, detail="cannot decrypt") from exc
    return parse_json(plain)


async def receive(
    request: Request,
    account: WeChatAccount,
    rt: ChannelsRuntime,
    chat: ChatService,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str | None,
    msg_signature: str | None,
) -> str:
    """POST /miniprogram: checked as the official account's; the answer goes out through the send API."""
    check_signature(account, rt, signature=signature, timestamp=timestamp, nonce=nonce)
    check_mode(account, encrypt_type=encrypt_type)
    body = await core.read_body(request, rt.settings.channel_max_body_bytes)
    msg = open_envelope(
        account, body, encrypt_type=encrypt_type, timestamp=timestamp, nonce=nonce, msg_signature=msg_signature
    )
    openid = msg.get("FromUserName")
    msg_type = str(msg.get("MsgType") or "").lower()
    if not isinstance(openid, str) or not openid or not msg_type:
        raise HTTPException(status_code=400, detail="not a customer-service message")
    sender = sender_id("miniprogram", openid, key=rt.settings.secret_key)
    max_bytes = rt.settings.wechat_text_max_bytes
    content = msg.get("Content")
    text = content.strip() if msg_type == "text" and isinstance(content, str) else ""
    recognition = msg.get("Recognition")
    # WeChat documents no voice push for 客服消息 (text, image, card, event); if one comes, read it as the 公众号's
    if msg_type == "voice" and isinstance(recognition, str):
        text = core.spoken_text(recognition)

    async def produce() -> list[str]:
        if text:
            r = await core.answer(
                rt, chat, channel="miniprogram", sender=sender, text=text, max_bytes=max_bytes, address=openid
            )
            return r.chunks
        if msg_type == "event" and str(msg.get("Event") or "").lower() == "user_enter_tempsession":
            return [say("welcome")]
        if msg_type == "voice":
            return [say("voice_unrecognised")]
        return [say("unsupported")]

    if msg_type == "event" and str(msg.get("Event") or "").lower() != "user_enter_tempsession":
        return SUCCESS
    api = account.api

    async def deliver(chunks: list[str]) -> None:
        if api is None:
            log.error("miniprogram: answer for %s dropped; MINIPROGRAM_APP_SECRET is not set", sender)
            return
        await api.send_texts(openid=openid, chunks=chunks)

    key = core.inbound_key(
        sender,
        str(msg.get("MsgId") or ""),
        str(msg.get("CreateTime") or ""),
        event=str(msg.get("Event") or ""),
        event_key=str(msg.get("EventKey") or ""),
    )
    await core.reply_once(
        rt,
        channel="miniprogram",
        key=key,
        produce=produce,
        deliver=deliver,
        timeout_s=0.0,
        retry_wait_s=0.0,
        passive=False,
    )
    return SUCCESS
