"""GET /api/cases/categorize: what a complaint's words tell — the category, and the errand or window it is about.

The complaint form asks it once for the story (so it does not ask what the story already says) and for a typed
category answer ("服务不好"). The action server calls it with the internal token; anyone else is rate-limited.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from api.cases import categorize
from api.cases.config import CaseConfig
from api.cases.deps import CaseConfigDep
from api.chat.runtime import ChatRuntime
from api.deps import client_ip, internal_caller

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get("/categorize")
async def categorize_text(
    request: Request,
    config: CaseConfigDep,
    text: Annotated[str, Query(min_length=1, max_length=2000)],
    as_: Annotated[Literal["story", "answer"], Query(alias="as")] = "story",
) -> Any:
    """`as=story`: the category its cues tell and the errand search is sure of; `as=answer`: a typed category."""
    rt: ChatRuntime = request.app.state.chat_runtime
    if not internal_caller(request):
        wait = rt.ip_limiter.hit(f"categorize-ip:{client_ip(request)}")
        if wait:
            detail = rt.messages.text("refusal", "rate_limited")
            return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(int(wait) + 1)})
    words = text[: request.app.state.settings.max_query_chars]
    if as_ == "answer":
        found = categorize.typed(words, config)
    else:
        # off the event loop: every call encodes the story (the `about` lines are encoded at start-up)
        found = await asyncio.to_thread(lambda: categorize.from_story(words, config, similarity(request.app, config)))
    out: dict[str, Any] = {
        "category": None if found is None else {"code": found.category.code, "name": found.category.name},
        "via": None if found is None else found.via,
        "item": None,
    }
    if as_ == "story":
        out["item"] = await asyncio.to_thread(_entry_of, request, words)
    return out


def similarity(app: FastAPI, config: CaseConfig) -> categorize.Similarity | None:
    """The categories' `about` vectors for the search model now loaded: made at start-up (`prepare_similarity`),
    again on first use after an index swap brings a new encoder."""
    searcher = app.state.answerer.state.searcher
    if searcher is None:
        return None
    held: categorize.Similarity | None = getattr(app.state, "category_similarity", None)
    if held is None or held.config is not config or held.encode != searcher.encoder.encode_queries:
        held = categorize.Similarity(config, searcher.encoder.encode_queries)
        app.state.category_similarity = held
    return held


def prepare_similarity(app: FastAPI) -> None:
    """Encode the `about` lines before the first complaint: ~180 lines take seconds (3.7 s on a quiet 2-core
    machine), more than the gateway's 3 s Rasa budget, so the first story of a fresh gateway was answered from search
    ("智能助手现在忙") instead of by the form."""
    similarity(app, app.state.cases.config)


def _entry_of(request: Request, words: str) -> dict[str, str] | None:
    """The errand or window the story is about, when search is sure of it."""
    searcher = request.app.state.answerer.state.searcher
    hit = None if searcher is None else categorize.errand(searcher, words)
    return None if hit is None else {"id": hit.id, "kind": hit.kind, "name": hit.name}
