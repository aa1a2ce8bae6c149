"""A real HTTP server on 127.0.0.1 standing in for the external 12345 system; it fails at random, on purpose."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from api.cases.outbox import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.support.fake_http import FakeHttpServer, Reply, Request


class FakeReceiver(FakeHttpServer):
    """fail_rate: answer 500 without keeping the event; lost_ack_rate: keep it, then answer 500 anyway."""

    methods = ("POST",)

    def __init__(self, secret: str, *, fail_rate: float = 0.3, lost_ack_rate: float = 0.15, seed: int = 7) -> None:
        super().__init__()
        self.secret = secret
        self.fail_rate = fail_rate
        self.lost_ack_rate = lost_ack_rate
        self.rng = random.Random(seed)
        self.received: list[dict[str, Any]] = []
        self.deliveries: Counter[str] = Counter()
        self.bad_signatures = 0
        self.requests = 0

    @property
    def url(self) -> str:
        return f"{self.base_url}/webhook"

    def handle(self, request: Request) -> Reply:
        return Reply(self.answer(request.headers, request.body))

    def answer(self, headers: dict[str, str], body: bytes) -> int:
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
