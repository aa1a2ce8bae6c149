"""Client of WeChat's server API: a cached access token and the customer-service send (公众号 and 小程序 alike)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid, malformed, expired: fetch a new token, retry once


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


@dataclass
class _Token:
    value: str
    expires_at: float  # monotonic


class WeChatApi:
    """One per app id. Tokens are refreshed `refresh_margin_s` before expiry, and at once when WeChat rejects one."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        base_url: str,
        app_id: str,
        app_secret: str,
        refresh_margin_s: float = 300.0,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.refresh_margin_s = refresh_margin_s
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self.token_fetches = 0

    async def access_token(self, *, force: bool = False, stale: str | None = None) -> str:
        """WeChat's stable token (POST /cgi-bin/stable_token): in normal mode every replica asking for it
        gets the same token until it expires, so replicas never invalidate each other's (as /cgi-bin/token
        does: each fetch there ends the previous token). A rejected token is asked for again in normal mode;
        only if WeChat still returns the rejected one is a forced refresh spent (those are rationed per day)."""
        async with self._lock:
            tok = self._token
            fresh = tok is not None and time.monotonic() < tok.expires_at - self.refresh_margin_s
            if tok is not None and fresh and not force:
                return tok.value
            if tok is not None and force and stale is not None and tok.value != stale:
                return tok.value  # another task refreshed it already
            value = await self._fetch(force_refresh=False)
            if force and value == stale:
                value = await self._fetch(force_refresh=True)
            return value

    async def _fetch(self, *, force_refresh: bool) -> str:
        resp = await self.client.post(
            f"{self.base_url}/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.app_secret,
                "force_refresh": force_refresh,
            },
        )
        resp.raise_for_status()
        data = resp.json()
        if "access_token" not in data:
            raise WeChatApiError(int(data.get("errcode", -1)), str(data.get("errmsg", "")))
        self.token_fetches += 1
        self._token = _Token(str(data["access_token"]), time.monotonic() + float(data.get("expires_in", 7200)))
        return self._token.value

    async def post(self, path: str, payload: dict[str, object]) -> dict[str, object]:
        token = await self.access_token()
        for attempt in range(2):
            resp = await self.client.post(f"{self.base_url}{path}", params={"access_token": token}, json=payload)
            resp.raise_for_status()
            data: dict[str, object] = resp.json()
            errcode = int(str(data.get("errcode", 0)))
            if errcode == 0:
                return data
            if errcode in TOKEN_INVALID and attempt == 0:
                log.info("WeChat rejected the access token (errcode %s); fetching a new one", errcode)
                token = await self.access_token(force=True, stale=token)
                continue
            raise WeChatApiError(errcode, str(data.get("errmsg", "")))
        raise AssertionError("unreachable")

    async def send_text(self, *, openid: str, text: str) -> None:
        await self.post(
            "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}}
        )

    async def send_texts(self, *, openid: str, chunks: list[str]) -> None:
        for chunk in chunks:
            await self.send_text(openid=openid, text=chunk)
