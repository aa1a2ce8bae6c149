"""Start-up of the channels: which are configured, their API clients, and the background tasks they spawn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request

from api.channels import store
from api.channels.identity import install_log_redaction
from api.channels.telegram_api import TelegramChannel
from api.channels.wechat_api import WeChatApi
from api.channels.wechat_crypto import WeChatCrypto
from api.core.db import Database
from api.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class WeChatAccount:
    """A 公众号 or a 小程序: its token, optional 安全模式 keys, and the send API (needs the app secret)."""

    channel: str
    token: str
    app_id: str
    crypto: WeChatCrypto | None
    api: WeChatApi | None
    allow_plaintext: bool = False  # with crypto set: accept POSTs without encrypt_type=aes (明文模式 still on)


@dataclass
class ChannelsRuntime:
    settings: Settings
    client: httpx.AsyncClient
    wechat: WeChatAccount | None = None
    miniprogram: WeChatAccount | None = None
    telegram: TelegramChannel | None = None
    db: Database | None = None  # the gateway's (app.state.db), shared for de-duplication and pending choices
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def sessions(self) -> store.Sessions | None:
        """None while the database is down: channels then answer without de-duplication rather than not at all."""
        if self.db is None or not self.db.ready:
            return None
        return self.db.sessions

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Background work that outlives the request (WeChat's async path, Telegram updates); errors are logged."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("channel task %s failed: %s", name, type(t.exception()).__name__)

        task.add_done_callback(done)
        return task


def _account(
    channel: str,
    *,
    token: str,
    app_id: str,
    secret: str,
    keys: list[str],
    base: str,
    client: httpx.AsyncClient,
    allow_plaintext: bool,
) -> WeChatAccount:
    crypto = WeChatCrypto(token=token, app_id=app_id, aes_keys=keys) if keys else None
    api = WeChatApi(client=client, base_url=base, app_id=app_id, app_secret=secret) if app_id and secret else None
    if crypto is not None and allow_plaintext:
        log.warning("%s: plaintext POSTs are accepted although safe mode is configured", channel)
    return WeChatAccount(
        channel=channel, token=token, app_id=app_id, crypto=crypto, api=api, allow_plaintext=allow_plaintext
    )


def build_runtime(settings: Settings, client: httpx.AsyncClient, db: Database | None = None) -> ChannelsRuntime:
    rt = ChannelsRuntime(settings=settings, client=client, db=db)
    for name in ("wechat", "miniprogram"):  # the same account shape, configured by prefix
        if not getattr(settings, f"{name}_token"):
            continue
        key_names = (f"{name}_encoding_aes_key", f"{name}_encoding_aes_key_previous")
        account = _account(
            name,
            token=getattr(settings, f"{name}_token"),
            app_id=getattr(settings, f"{name}_app_id"),
            secret=getattr(settings, f"{name}_app_secret"),
            keys=[k for k in (getattr(settings, n) for n in key_names) if k],
            base=getattr(settings, f"{name}_api_base"),
            client=client,
            allow_plaintext=getattr(settings, f"{name}_allow_plaintext"),
        )
        setattr(rt, name, account)
    if settings.telegram_bot_token:
        rt.telegram = TelegramChannel.create(settings)
    return rt


async def _prune_forever(rt: ChannelsRuntime, interval_s: float = 3600.0) -> None:
    while True:
        await asyncio.sleep(interval_s)
        sessions = rt.sessions()
        if sessions is not None:
            try:
                await asyncio.to_thread(store.prune, sessions=sessions, older_than=timedelta(days=2))
            except Exception as exc:
                log.warning("pruning channel state failed: %s", type(exc).__name__)


@asynccontextmanager
async def channels_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[ChannelsRuntime]:
    """Runs inside the database lifespan, whose database it shares; pending replies get a few seconds at shutdown."""
    install_log_redaction()
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
        rt = build_runtime(settings, client, getattr(app.state, "db", None))
        app.state.channels = rt
        pruner = asyncio.create_task(_prune_forever(rt))
        try:
            yield rt
        finally:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
            if rt.tasks:
                await asyncio.wait(list(rt.tasks), timeout=5.0)
            for task in list(rt.tasks):
                task.cancel()
            if rt.telegram is not None:
                await rt.telegram.shutdown()


def get_channels(request: Request) -> ChannelsRuntime:
    rt: ChannelsRuntime | None = getattr(request.app.state, "channels", None)
    if rt is None:
        raise HTTPException(status_code=404)
    return rt
