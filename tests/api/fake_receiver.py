"""A real HTTP server on 127.0.0.1 standing in for the external 12345 system; it fails at random, on purpose."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from api.cases.outbox import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class FakeReceiver:
    """fail_rate: answer 500 without keeping the event; lost_ack_rate: keep it, then answer 500 anyway."""

    def __init__(self, secret: str, *, fail_rate: float = 0.3, lost_ack_rate: float = 0.15, seed: int = 7) -> None:
        self.secret = secret
        self.fail_rate = fail_rate
        self.lost_ack_rate = lost_ack_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.deliveries: Counter[str] = Counter()
        self.bad_signatures = 0
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code = receiver.handle(dict(self.headers.items()), body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests += 1
            roll = self.rng.random()
        if not verify(self.secret, headers.get(TIMESTAMP_HEADER, ""), body, headers.get(SIGNATURE_HEADER, "")):
            with self.lock:
                self.bad_signatures += 1
            return 401
        if roll < self.fail_rate:
            return 500
        event = json.loads(body)
        if event["id"] != headers.get(EVENT_ID_HEADER):
            return 400
        with self.lock:
            self.deliveries[event["id"]] += 1
            if self.deliveries[event["id"]] == 1:  # de-duplicate by the idempotency id
                self.received.append(event)
        return 500 if roll < self.fail_rate + self.lost_ack_rate else 200

    def unique_ids(self) -> set[str]:
        with self.lock:
            return {e["id"] for e in self.received}

    def __enter__(self) -> FakeReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
