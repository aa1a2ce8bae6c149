"""Builds the gateway: `uvicorn --factory api.main:create_app`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.accounts.runtime import accounts_lifespan
from api.answer import routes as answer
from api.cases import routes as cases
from api.cases.routes import categorize as categorize_routes
from api.cases.runtime import cases_lifespan
from api.channels import routes as channels
from api.channels.runtime import channels_lifespan
from api.chat import routes as chat
from api.chat.runtime import chat_lifespan
from api.console import routes as console
from api.core import wording
from api.core.db import database_lifespan
from api.guides import routes as guides
from api.handoff import routes as handoffs
from api.handoff.runtime import handoff_lifespan
from api.index_reload import index_reload_lifespan
from api.observability import routes as health
from api.observability.logging import configure_logging
from api.observability.metrics import install_metrics
from api.search import routes as search
from api.settings import Settings, get_settings, index_settings
from api.state import AppState
from api.web import pages
from api.web.body_limit import BodyLimit
from api.web.security import install_protection
from index import catalogue as catalogue_mod

log = logging.getLogger("api")


def _load_state(settings: Settings) -> AppState:
    cat = catalogue_mod.load(settings.guides_dir)
    state = AppState(catalogue=cat)
    if settings.load_searcher:
        from index.embed import load_encoder
        from index.search import Searcher

        cfg = index_settings(settings)
        state.searcher = Searcher.load(settings.index_dir, load_encoder(settings=cfg), settings=cfg)
    return state


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)  # JSON in production; uvicorn's loggers go through it too

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.app = _load_state(settings)
        async with (
            database_lifespan(app, settings),  # app.state.db, migrated; every feature below shares it
            accounts_lifespan(app, settings),  # the login guess counts of the console and the staff API
            cases_lifespan(app, settings),
            chat_lifespan(app, settings, app.state.app),
            channels_lifespan(app, settings),
            handoff_lifespan(app, settings),  # agents' replies out on every channel, and the handoff timeout
            index_reload_lifespan(app, settings, app.state.app),
        ):
            # the complaint categories' `about` vectors, before the first story arrives (seconds of encoding)
            await asyncio.to_thread(categorize_routes.prepare_similarity, app)
            yield

    # the API docs load Swagger's assets from a third-party CDN: development only; ReDoc never
    dev_docs = settings.app_env != "production"
    app = FastAPI(
        title=wording.text("gateway", "app.title"),
        lifespan=lifespan,
        docs_url="/api/docs" if dev_docs else None,
        openapi_url="/api/openapi.json" if dev_docs else None,
        redoc_url=None,
    )
    app.state.settings = settings

    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(answer.router)
    app.include_router(guides.router)
    for case_router in cases.routers:  # categorize before /api/cases/{case_no}
        app.include_router(case_router)
    app.include_router(handoffs.router)
    console.install(app)
    app.include_router(channels.router)  # /wechat, /miniprogram, /telegram/webhook
    app.include_router(chat.router)  # /api/chat, /api/feedback
    app.include_router(pages.router)
    install_protection(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # counts bytes received, chunked or not
    install_metrics(app, settings)  # last: its timing middleware is the outermost
    return app
