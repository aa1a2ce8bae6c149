"""HTTP client for the gateway's knowledge, case and handoff endpoints (the bot's only external service)."""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import quote

import aiohttp

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_S = 4.0
DEFAULT_HANDOFF_PATH = "/api/handoff"
DEV_INTERNAL_TOKEN = "dev-only-internal-token"  # the gateway refuses this default outside development


class GatewayError(Exception):
    """The gateway could not be reached, timed out, or answered with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotFound(GatewayError):
    """404: an unknown guide or case, or an endpoint the gateway does not have yet."""


class GatewayClient:
    """Async JSON client; one short-lived session per call keeps it safe across event loops."""

    def __init__(self, base_url: str | None = None, timeout_s: float | None = None) -> None:
        self.base_url = (base_url or os.environ.get("GATEWAY_URL") or DEFAULT_BASE_URL).rstrip("/")
        seconds = timeout_s if timeout_s is not None else float(os.environ.get("GATEWAY_TIMEOUT", DEFAULT_TIMEOUT_S))
        self.timeout = aiohttp.ClientTimeout(total=seconds)
        self.handoff_path = os.environ.get("GATEWAY_HANDOFF_PATH", DEFAULT_HANDOFF_PATH)
        # the gateway accepts handoffs only from the action server: same INTERNAL_TOKEN on both sides
        self.headers = {"X-Internal-Token": os.environ.get("INTERNAL_TOKEN", DEV_INTERNAL_TOKEN)}

    async def _request(self, method: str, path: str, *, params: dict | None = None, body: Any = None) -> Any:
        url = self.base_url + path
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.request(method, url, params=params, json=body, headers=self.headers) as resp,
            ):
                if resp.status == 404:
                    raise NotFound(f"{method} {path}: 404", status=404)
                if resp.status >= 400:
                    raise GatewayError(f"{method} {path}: {resp.status}", status=resp.status)
                if resp.status == 204:
                    return {}
                return await resp.json(content_type=None)
        except GatewayError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise GatewayError(f"{method} {path}: {type(exc).__name__}") from exc

    async def search(self, query: str, k: int = 5) -> dict[str, Any]:
        return await self._request("GET", "/api/search", params={"q": query, "k": str(k)})

    async def answer(
        self,
        *,
        q: str | None = None,
        entry_id: str | None = None,
        last: str | None = None,
        last_asked: str | None = None,
        asked: str | None = None,
    ) -> dict[str, Any]:
        """The gateway's one answer decision for the person's words `q` or a chosen entry, already worded."""
        values = {"q": q, "id": entry_id, "last": last, "last_asked": last_asked, "asked": asked}
        data = await self._request("GET", "/api/answer", params={k: v for k, v in values.items() if v})
        if not isinstance(data, dict):
            raise GatewayError("GET /api/answer: not an answer")
        return data

    async def guide(self, entry_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/api/guides/{quote(entry_id, safe='')}")

    async def categorize(self, text: str, *, as_answer: bool = False) -> dict[str, Any]:
        """What a complaint's words tell: {"category": {code, name} | None, "via", "item": {id, kind, name} | None}."""
        params = {"text": text[:2000], "as": "answer" if as_answer else "story"}
        data = await self._request("GET", "/api/cases/categorize", params=params)
        return data if isinstance(data, dict) else {}

    async def categories(self) -> list[dict[str, Any]]:
        data = await self._request("GET", "/api/cases/categories")
        return data if isinstance(data, list) else []

    async def create_case(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", "/api/cases", body=payload)

    async def get_case(self, case_no: str, phone_last4: str) -> dict[str, Any]:
        return await self._request("GET", f"/api/cases/{quote(case_no, safe='')}", params={"phone_last4": phone_last4})

    async def rate_case(self, case_no: str, phone_last4: str, score: int, comment: str) -> dict[str, Any]:
        body = {"phone_last4": phone_last4, "score": score, "comment": comment}
        return await self._request("POST", f"/api/cases/{quote(case_no, safe='')}/rating", body=body)

    async def handoff(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", self.handoff_path, body=payload)
