"""Annotated dependency aliases used by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.chat.schemas import ChatService
from api.settings import Settings, get_settings
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


def get_chat(request: Request) -> ChatService:
    """The chat service channels call (created in the lifespan, see api/chat/runtime.py)."""
    service: ChatService = request.app.state.chat
    return service


SettingsDep = Annotated[Settings, Depends(get_settings)]
StateDep = Annotated[AppState, Depends(get_state)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
