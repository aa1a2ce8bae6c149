"""Start-up of the accounts: the login guess counts the console and the staff API share (`app.state.logins`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.core.guesses import GuessLimiter, GuessPolicy, build_limiter
from api.settings import Settings


@asynccontextmanager
async def accounts_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[GuessLimiter]:
    """In Redis when REDIS_URL is set, so replicas share one count per account; else in process."""
    client = None
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
    logins = build_limiter(GuessPolicy.logins(settings), client, prefix="guess:login:")
    app.state.logins = logins
    try:
        yield logins
    finally:
        if client is not None:
            client.close()
