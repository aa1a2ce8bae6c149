"""GET /api/answer: the one answer decision (api/answer/), for the Rasa actions and any client."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.answer.service import Answer, Answerer
from api.chat.runtime import ChatRuntime
from api.deps import client_ip, internal_caller

router = APIRouter(prefix="/api", tags=["answer"])

EntryId = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]+$")]


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "decision": a.decision,
        "asked": a.asked,
        "route": a.route.model_dump(),
        "confidence": None if a.confidence is None else round(min(1.0, max(0.0, a.confidence)), 4),
        "choices": a.choices,
        "messages": [m.model_dump() for m in a.messages],
    }


@router.get("/answer")
async def answer(
    request: Request,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    last: EntryId = None,
    last_asked: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")] = None,
    entry: Annotated[str | None, Query(alias="id", max_length=64, pattern=r"^[a-z0-9-]+$")] = None,
    asked: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z_]+$")] = None,
) -> Any:
    """`q` (the citizen's words) with the last entry in context, or `id` for an entry chosen by a button."""
    rt: ChatRuntime = request.app.state.chat_runtime
    if not internal_caller(request):  # the action server is unlimited; anyone else is rate-limited per IP
        wait = rt.ip_limiter.hit(f"answer-ip:{client_ip(request)}")
        if wait:
            detail = rt.messages.text("refusal", "rate_limited")
            return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(int(wait) + 1)})
    if not (q and q.strip()) and not entry:
        return JSONResponse({"detail": rt.messages.text("refusal", "empty")}, status_code=422)
    answerer: Answerer = request.app.state.answerer
    text = (q or "")[: request.app.state.settings.max_query_chars]
    result = await asyncio.to_thread(
        answerer.answer, text, last_id=last, last_asked=last_asked, entry_id=entry, asked=asked
    )
    return answer_json(result)
