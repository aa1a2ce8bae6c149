"""Annotated dependency aliases of the gateway's own routers: the catalogue, search, chat, the internal token.

The settings and the database session every feature uses are api/core/deps.py's.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.chat.schemas import ChatService
from api.settings import DEV_INTERNAL_TOKEN, Settings
from api.state import AppState
from index.catalogue import Catalogue
from index.search import Searcher


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.app
    return state


def get_catalogue(state: Annotated[AppState, Depends(get_state)]) -> Catalogue:
    return state.catalogue


def get_searcher(state: Annotated[AppState, Depends(get_state)]) -> Searcher:
    if state.searcher is None:
        raise HTTPException(status_code=503, detail="search index is not loaded")
    return state.searcher


def client_ip(request: Request) -> str:
    """The peer address; behind the proxy, uvicorn's --proxy-headers (FORWARDED_ALLOW_IPS) makes it the citizen's."""
    return request.client.host if request.client else "unknown"


def require_internal_token(request: Request) -> None:
    """The action server (and `make telegram`) on loopback: the one check of X-Internal-Token.

    An empty expected token refuses everything (compare_digest(b"", b"") is True), and the development default
    counts in development only; production settings refuse short tokens at startup.
    """
    settings: Settings = request.app.state.settings
    expected = settings.internal_token
    if not expected or (settings.app_env != "development" and expected == DEV_INTERNAL_TOKEN):
        raise HTTPException(status_code=503, detail="INTERNAL_TOKEN is not configured")
    given = request.headers.get("x-internal-token", "")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="internal token missing or wrong")


def internal_caller(request: Request) -> bool:
    """True for a request that passes require_internal_token; public callers are rate-limited instead."""
    if not request.headers.get("x-internal-token"):
        return False
    try:
        require_internal_token(request)
    except HTTPException:
        return False
    return True


def get_chat(request: Request) -> ChatService:
    """The chat service channels call (created in the lifespan, see api/chat/runtime.py)."""
    service: ChatService = request.app.state.chat
    return service


StateDep = Annotated[AppState, Depends(get_state)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
