"""A request-body cap on the bytes actually received: chunked bodies carry no Content-Length to trust."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import wording


class BodyLimit:
    """Pure ASGI middleware: reads the body (at most `max_bytes`) before the app runs, then replays it.

    Every body here is small (the cap is 64 KB), so holding it is cheap, and refusing before the app runs means
    no route, middleware or body parser ever sees an oversized body, however it reads it. A declared length over
    the cap is refused without reading; a body that grows past the cap is refused as soon as it does.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, detail: str | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = wording.text("gateway", "errors.body_too_large") if detail is None else detail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see the disconnect
                await self.app(scope, _replay([message], receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay([{"type": "http.request", "body": bytes(body)}], receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": self.detail}, ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the rest of the body is never read
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """Hands out the buffered messages first, then the real channel (which will only carry a disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
