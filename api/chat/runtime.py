"""Chat start-up: the HTTP client to Rasa, the service and the rate limiters, stored on app state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from api.answer.service import Answerer
from api.chat.content import Messages, load_messages
from api.chat.ratelimit import RateLimiter, chat_limiters
from api.chat.recording import RecordingChatService
from api.chat.service import Breaker, RasaChatService
from api.handoff.mode import Policy
from api.settings import Settings
from api.state import AppState


@dataclass
class ChatRuntime:
    service: RasaChatService
    messages: Messages
    sender_limiter: RateLimiter
    ip_limiter: RateLimiter


@asynccontextmanager
async def chat_lifespan(app: FastAPI, settings: Settings, state: AppState) -> AsyncIterator[ChatRuntime]:
    """One pooled client for the gateway's life; `app.state.chat` is what `ChatDep` hands to channels."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with (
        httpx.AsyncClient(limits=limits, trust_env=False) as client,
        chat_limiters(settings) as (sender_limiter, ip_limiter),  # in Redis when REDIS_URL is set
    ):
        messages = load_messages()
        answerer = Answerer(state, messages)  # the one answer decision: the actions' endpoint and the degraded path
        app.state.answerer = answerer
        service = RasaChatService(
            answerer=answerer,
            state=state,
            client=client,
            rasa_url=settings.rasa_url,
            messages=messages,
            budget_s=settings.chat_budget_s,
            breaker=Breaker(settings.chat_breaker_failures, settings.chat_breaker_cooldown_s),
        )
        runtime = ChatRuntime(
            service=service,
            messages=messages,
            sender_limiter=getattr(app.state, "chat_sender_limiter", None) or sender_limiter,
            ip_limiter=getattr(app.state, "chat_ip_limiter", None) or ip_limiter,
        )
        app.state.chat_runtime = runtime
        app.state.chat = RecordingChatService(
            service,
            getattr(app.state, "db", None),
            getattr(app.state, "metrics", None),
            messages=messages,
            policy=Policy.from_settings(settings, messages),  # handoff mode: the bot is quiet while a person talks
        )
        yield runtime
