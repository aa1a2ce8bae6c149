"""The web widget's chat API (or any API client's): POST /api/chat, one turn with size and rate limits, and
POST /api/feedback, the 有用 / 没用 / 没找到 under an answer, rate-limited and bounded like /api/chat."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.channels.identity import PREFIXES, is_channel_sender
from api.chat import feedback
from api.chat.recording import RecordingChatService
from api.chat.runtime import ChatRuntime
from api.chat.schemas import Channel, ChatMessage, ChatMeta, ChatReply, ChatRequest
from api.core.db import Database
from api.core.deps import SettingsDep
from api.deps import client_ip, internal_caller
from api.handoff import service as handoffs

router = APIRouter(prefix="/api", tags=["chat"])

CHANNEL_HEADER = "x-chat-channel"
HANDOFF_KEY_HEADER = "x-handoff-key"
CHAT_REQUEST_SCHEMA: dict[str, Any] = {
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


@router.post("/chat", response_model=ChatReply, openapi_extra=CHAT_REQUEST_SCHEMA)
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


# ---------------------------------------------------------------- feedback on an answer

FEEDBACK_MAX_BYTES = 512  # {"sender": 128 chars, "turn", "value"} is under 250 bytes; nothing else is accepted
# the chat limiters with their own keys: the same budget per sender and per IP, spent apart from the questions
FEEDBACK_IP_KEY, FEEDBACK_SENDER_KEY = "feedback-ip:", "feedback-sender:"


class FeedbackRequest(BaseModel):
    """`turn` is `meta.feedback_turn` of the /api/chat reply being rated, by the sender that asked."""

    model_config = ConfigDict(extra="forbid")
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
    turn: int = Field(ge=1, le=2**53)
    value: feedback.Value


class FeedbackPublic(BaseModel):
    turn: int
    value: feedback.Value


FEEDBACK_REQUEST_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": FeedbackRequest.model_json_schema()}},
    }
}


@router.post("/feedback", response_model=FeedbackPublic, openapi_extra=FEEDBACK_REQUEST_SCHEMA)
async def give_feedback(request: Request) -> Any:
    """One tap; a second tap on the same answer replaces the first (one row per turn and sender)."""
    rt: ChatRuntime = request.app.state.chat_runtime
    say = rt.messages
    wait = rt.ip_limiter.hit(FEEDBACK_IP_KEY + client_ip(request))
    if wait:
        return _error(429, say.text("refusal", "rate_limited"), {"Retry-After": str(int(wait) + 1)})
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _error(415, say.text("refusal", "bad_type"))
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > FEEDBACK_MAX_BYTES):
        return _error(413, say.text("refusal", "feedback_too_large"))
    body = await request.body()
    if len(body) > FEEDBACK_MAX_BYTES:
        return _error(413, say.text("refusal", "feedback_too_large"))
    try:
        req = FeedbackRequest.model_validate(json.loads(body))
    except (ValueError, RecursionError, ValidationError):  # ValidationError is a ValueError; named for the reader
        return _error(422, say.text("refusal", "feedback_bad"))
    if is_channel_sender(req.sender) and not internal_caller(request):  # wx:/mp:/tg: rate through their channel
        return _error(422, say.text("refusal", "feedback_bad"))
    wait = rt.sender_limiter.hit(FEEDBACK_SENDER_KEY + req.sender)
    if wait:
        return _error(429, say.text("refusal", "rate_limited"), {"Retry-After": str(int(wait) + 1)})
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not db.ready:
        return _error(503, say.text("refusal", "server_error"))
    stored = await asyncio.to_thread(
        feedback.record_best_effort, db, turn_id=req.turn, sender=req.sender, value=req.value
    )
    if not stored:  # not this sender's turn (or the database failed, which the log says)
        return _error(404, say.text("refusal", "feedback_unknown_turn"))
    return FeedbackPublic(turn=req.turn, value=req.value)
