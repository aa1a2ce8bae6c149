"""POST /api/chat: one turn of the web widget (or any API client), with size and rate limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.channels.identity import PREFIXES, is_channel_sender
from api.chat.recording import RecordingChatService
from api.chat.runtime import ChatRuntime
from api.chat.schemas import Channel, ChatMessage, ChatMeta, ChatReply, ChatRequest
from api.core.deps import SettingsDep
from api.deps import client_ip, internal_caller
from api.handoff import service as handoffs

router = APIRouter(prefix="/api", tags=["chat"])

CHANNEL_HEADER = "x-chat-channel"
HANDOFF_KEY_HEADER = "x-handoff-key"
REQUEST_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ChatRequest.model_json_schema()}},
    }
}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _channel(header: str, internal: bool) -> Channel:
    if header == "widget":
        return "widget"
    if internal and header in PREFIXES:
        return cast(Channel, header)
    return "api"


@router.post("/chat", response_model=ChatReply, openapi_extra=REQUEST_SCHEMA)
async def chat(request: Request, settings: SettingsDep) -> Any:
    rt: ChatRuntime = request.app.state.chat_runtime
    say = rt.messages
    wait = rt.ip_limiter.hit(f"ip:{client_ip(request)}")
    if wait:
        return _error(429, say.text("refusal", "rate_limited"), {"Retry-After": str(int(wait) + 1)})
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _error(415, say.text("refusal", "bad_type"))
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return _error(400, say.text("refusal", "bad_json"))
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return _error(422, say.text("refusal", "bad_fields"))
    message: str = data["message"]
    if not message.strip():
        return _error(422, say.text("refusal", "empty"))
    too_long = len(message) > settings.chat_max_chars
    try:
        req = ChatRequest.model_validate({"sender": data.get("sender"), "message": "" if too_long else message})
    except ValidationError:
        return _error(422, say.text("refusal", "bad_fields"))
    internal = internal_caller(request)  # the Telegram polling process
    if is_channel_sender(req.sender) and not internal:  # wx:/mp:/tg: ids are the signed channels' users
        return _error(422, say.text("refusal", "bad_fields"))
    wait = rt.sender_limiter.hit(f"sender:{req.sender}")
    if wait:
        return _error(429, say.text("refusal", "rate_limited"), {"Retry-After": str(int(wait) + 1)})
    if too_long:
        text = say.text("refusal", "too_long", limit=settings.chat_max_chars)
        return ChatReply(messages=[ChatMessage(text=text)], meta=ChatMeta())
    channel = _channel(request.headers.get(CHANNEL_HEADER, "api"), internal)
    key = request.headers.get(HANDOFF_KEY_HEADER) or None
    chat: RecordingChatService = request.app.state.chat  # records the turn for the console, then answers
    reply = await chat.turn(sender=req.sender, message=req.message.strip(), channel=channel, handoff_key=key)
    route = reply.meta.route
    if channel in handoffs.KEYED_CHANNELS and reply.meta.handoff_state == "waiting" and route.id:
        # this turn opened a handoff: its key goes to this reply only, and the widget polls the inbox with it
        reply.meta.handoff_key = await asyncio.to_thread(
            handoffs.issue_key_best_effort,
            getattr(request.app.state, "db", None),
            handoff_id=int(route.id),
            sender=req.sender,
            presented=key,
        )
    return reply
