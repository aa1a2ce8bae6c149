"""The one base of the tests' fake HTTP services (Rasa, the 12345 receiver, the WeChat and Telegram APIs): a real
ThreadingHTTPServer on a free 127.0.0.1 port, each request handed to the subclass's `handle` as plain values."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlparse


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None  # None: no Content-Type header at all

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")


class FakeHttpServer:
    """Bound at construction (so `base_url` is known before it serves), served from `start()` or `with`."""

    protocol_version = "HTTP/1.0"
    methods: tuple[str, ...] = ("GET", "POST")  # any other method gets http.server's 501

    def __init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = fake.protocol_version

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                url = urlparse(self.path)
                request = Request(self.command, url.path, parse_qs(url.query), dict(self.headers.items()), body)
                reply = fake.handle(request)
                self.send_response(reply.status)
                if reply.content_type is not None:
                    self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        for method in self.methods:
            setattr(Handler, f"do_{method}", Handler._serve)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that never started
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class JsonFakeServer(FakeHttpServer):
    """A fake whose every answer is JSON: the subclass's `route` returns (status, payload)."""

    def handle(self, request: Request) -> Reply:
        status, payload = self.route(request.method, request.path, request.query, request.headers, request.body)
        return Reply.json(status, payload)

    def route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        raise NotImplementedError
