"""POST /api/feedback: the widget's 有用 / 没用 / 没找到 under an answer, rate-limited and bounded like /api/chat."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.channels.identity import is_channel_sender
from api.chat import feedback
from api.chat.runtime import ChatRuntime
from api.core.db import Database
from api.deps import client_ip, internal_caller

router = APIRouter(prefix="/api", tags=["chat"])

MAX_BODY_BYTES = 512  # {"sender": 128 chars, "turn", "value"} is under 250 bytes; nothing else is accepted
# the chat limiters with their own keys: the same budget per sender and per IP, spent apart from the questions
IP_KEY, SENDER_KEY = "feedback-ip:", "feedback-sender:"


class FeedbackRequest(BaseModel):
    """`turn` is `meta.feedback_turn` of the /api/chat reply being rated, by the sender that asked."""

    model_config = ConfigDict(extra="forbid")
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
    turn: int = Field(ge=1, le=2**53)
    value: feedback.Value


class FeedbackPublic(BaseModel):
    turn: int
    value: feedback.Value


REQUEST_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": FeedbackRequest.model_json_schema()}},
    }
}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


@router.post("/feedback", response_model=FeedbackPublic, openapi_extra=REQUEST_SCHEMA)
async def give_feedback(request: Request) -> Any:
    """One tap; a second tap on the same answer replaces the first (one row per turn and sender)."""
    rt: ChatRuntime = request.app.state.chat_runtime
    say = rt.messages
    wait = rt.ip_limiter.hit(IP_KEY + client_ip(request))
    if wait:
        return _error(429, say.text("refusal", "rate_limited"), {"Retry-After": str(int(wait) + 1)})
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return _error(415, say.text("refusal", "bad_type"))
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return _error(413, say.text("refusal", "feedback_too_large"))
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, say.text("refusal", "feedback_too_large"))
    try:
        req = FeedbackRequest.model_validate(json.loads(body))
    except (ValueError, RecursionError, ValidationError):  # ValidationError is a ValueError; named for the reader
        return _error(422, say.text("refusal", "feedback_bad"))
    if is_channel_sender(req.sender) and not internal_caller(request):  # wx:/mp:/tg: rate through their channel
        return _error(422, say.text("refusal", "feedback_bad"))
    wait = rt.sender_limiter.hit(SENDER_KEY + req.sender)
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
