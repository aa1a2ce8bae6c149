"""The search-first screen: `/console` itself, its live search as the agent types, and a guide's QR code.

`/console` has an empty path under the console's prefix, which only the prefixed router can hold:
api/console/routes/__init__.py adds `home` there; the rest of this screen is this module's router.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.answer.service import Answerer
from api.console import talk
from api.console.pages import ConsoleRoute, render
from api.console.security import AgentUser
from api.core import wording
from api.deps import CatalogueDep, StateDep
from index.catalogue import Catalogue

router = APIRouter(route_class=ConsoleRoute)


def home(request: Request, user: AgentUser, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    return render(request, "search.html", user=user, q=q)


def _public_url(request: Request, path: str) -> str:
    """Links read out or scanned by callers: the configured site, never the request's Host (anyone can send one)."""
    base: str = request.app.state.settings.public_base_url
    return base.rstrip("/") + path


def _card_json(
    request: Request, cat: Catalogue, entry_id: str, score: float | None = None, *, sure: bool = True
) -> dict[str, Any] | None:
    """`sure` is false below the abstention threshold: then there is no 话术 to read out, only the card to check."""
    card = talk.card_for(cat, entry_id)
    if card is None:
        return None
    url = _public_url(request, card.path)
    return {
        "id": card.id,
        "kind": card.kind,
        "name": card.name,
        "summary": card.summary,
        "script": card.script if sure else "",
        "sure": sure,
        "materials": card.materials,
        "window": card.window,
        "bundles": card.bundles,
        "members": card.members,
        "time_limit": card.time_limit,
        "rejections": card.rejections,
        "visits": card.visits,
        "remedy": card.remedy,
        "phones": card.phones,
        "url": url,
        "qr": f"/console/qr/{card.id}.svg",
        "score": score,
    }


def _short_answer(request: Request, q: str) -> dict[str, Any] | None:
    """What the assistant would tell the caller first (the asked fact, or the centre's hours, address…): the
    same answer decision as every chat channel, so the agent reads out what a citizen would read."""
    answerer: Answerer | None = getattr(request.app.state, "answerer", None)
    if answerer is None:
        return None
    a = answerer.answer(q)
    if a.decision not in ("answer", "site"):
        return None
    lines = [m.text for m in a.messages if m.type == "text" and m.text]
    return {"decision": a.decision, "asked": a.asked, "id": a.route.id, "text": "\n".join(lines)} if lines else None


@router.get("/api/search")
def search_api(
    request: Request,
    _user: AgentUser,
    state: StateDep,
    q: Annotated[str, Query(max_length=200)] = "",
    k: Annotated[int, Query(ge=1, le=10)] = 5,
) -> JSONResponse:
    """As the agent types: the top hits, each with its card and 话术 (well under 100 ms on the server)."""
    t0 = time.perf_counter()
    if state.searcher is None:
        raise HTTPException(status_code=503, detail=wording.text("console", "search.not_loaded"))
    if not q.strip():
        return JSONResponse({"query": q, "confident": False, "took_ms": 0.0, "results": []})
    result = state.searcher.search(q, k=k)
    answer = _short_answer(request, q)
    threshold = talk.abstain_threshold(state.searcher, getattr(request.app.state, "answerer", None))
    answered = answer["id"] if answer and answer["decision"] == "answer" else None
    cards = [
        _card_json(request, state.catalogue, h.id, h.score, sure=h.score >= threshold or h.id == answered)
        for h in result.hits
    ]
    results = [c for c in cards if c is not None]
    took = (time.perf_counter() - t0) * 1000
    return JSONResponse(
        {
            "query": q,
            "confident": any(c["sure"] for c in results),  # false: 没找到准确的指南 comes first, no 话术
            "threshold": threshold,
            "took_ms": round(took, 1),
            "answer": answer,
            "results": results,
        },
        headers={"Cache-Control": "no-store", "Server-Timing": f"search;dur={took:.1f}"},
    )


@router.get("/qr/{entry_id}.svg")
def qr(
    request: Request, entry_id: Annotated[str, Path(max_length=64)], _user: AgentUser, cat: CatalogueDep
) -> Response:
    if cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=404, detail=wording.text("console", "search.no_guide"))
    url = _public_url(request, f"/guides/{cat.resolve(entry_id)}")  # a printed code points at the canonical page
    return Response(talk.qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})
