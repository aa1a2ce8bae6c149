"""/metrics: route templates in the latency histogram, chat outcomes, case gauges, the bearer token, a broken DB."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from api.cases.models import Case, Outbox
from api.core.clock import china_today, utcnow
from api.core.db import Database
from tests.support.app import gateway_client, make_settings
from tests.support.fake_rasa import FakeRasa

CASE: dict[str, Any] = {
    "category": "cannot-get-done",
    "description": "社保卡补办去了两次都没办成",
    "phone": "13812345678",
    "channel": "wechat",
}


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[Any]:
    """open_client(**settings) -> a started TestClient; all are closed at the end."""
    opened: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        settings = make_settings(tmp_path, **overrides)
        client = gateway_client(settings)
        client.__enter__()
        opened.append(client)
        return client

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


def scrape(client: TestClient, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_latency_histogram_is_labelled_by_route_template(client: TestClient) -> None:
    client.get("/api/guides/ss-card-replace")
    client.get("/api/guides/passport")
    client.get("/no/such/page")
    client.post("/wechat", content=b"<xml/>")
    client.get("/console/static/console.css")
    samples = scrape(client)
    count = "baihua_http_request_duration_seconds_count"
    assert value(samples, count, route="/api/guides/{entry_id}", method="GET", status="2xx", channel="web") == 2
    assert value(samples, count, route="other", method="GET", status="4xx", channel="web") == 1
    assert value(samples, count, route="/wechat", method="POST", status="4xx", channel="wechat") == 1
    assert value(samples, count, route="/console/static/{path}", method="GET", status="2xx", channel="web") == 1
    routes = {dict(labels).get("route") for _, labels in samples}
    assert not any(r and ("ss-card-replace" in r or "no/such" in r) for r in routes)  # never the raw path
    buckets = {dict(labels)["le"] for name, labels in samples if name.endswith("_bucket")}
    assert {"0.005", "5.0", "+Inf"} <= buckets


def test_chat_outcomes_and_rasa_fallbacks_are_counted_per_channel(open_client: Any) -> None:
    fake = FakeRasa().start()
    try:
        client = open_client(rasa_url=fake.url, chat_budget_s=2.0, chat_breaker_failures=0)
        widget = {"X-Chat-Channel": "widget"}
        for message in ("社保卡丢了怎么补办", "办卡", "/request_human", "我要投诉"):
            resp = client.post("/api/chat", json={"sender": "m-1", "message": message}, headers=widget)
            assert resp.status_code == 200, resp.text
        client.post("/api/chat", json={"sender": "m-2", "message": "办卡"})  # no header: "api"
        fake.mode = "error"
        resp = client.post("/api/chat", json={"sender": "m-3", "message": "护照怎么办"}, headers=widget)
        assert resp.json()["meta"]["degraded"] is True
    finally:
        fake.stop()
    samples = scrape(client)
    turns = "baihua_chat_turns_total"
    assert value(samples, turns, channel="widget", outcome="answered") == 1
    assert value(samples, turns, channel="widget", outcome="abstained") == 2  # 办卡 (buttons) and the degraded turn
    assert value(samples, turns, channel="widget", outcome="handoff") == 1
    assert value(samples, turns, channel="widget", outcome="complaint") == 1
    assert value(samples, turns, channel="api", outcome="abstained") == 1
    assert value(samples, "baihua_chat_rasa_fallbacks_total", channel="widget") == 1
    assert value(samples, "baihua_chat_rasa_fallbacks_total", channel="wechat") == 0
    count = "baihua_http_request_duration_seconds_count"
    assert value(samples, count, route="/api/chat", method="POST", status="2xx", channel="widget") == 5
    assert value(samples, count, route="/api/chat", method="POST", status="2xx", channel="api") == 1


def test_case_counts_overdue_and_outbox_backlog(open_client: Any) -> None:
    client = open_client(case_webhook_url="http://127.0.0.1:9/hook")  # forwarding on: each case queues an event
    numbers = [client.post("/api/cases", json=CASE).json()["case_no"] for _ in range(3)]
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        late = china_today() - timedelta(days=3)
        session.execute(update(Case).where(Case.case_no == numbers[0]).values(deadline=late))
        session.execute(update(Case).where(Case.case_no == numbers[1]).values(status="closed"))
        first = session.scalars(select(Outbox.id).order_by(Outbox.id)).first()
        session.execute(update(Outbox).where(Outbox.id == first).values(dead_at=utcnow()))
        session.commit()
    samples = scrape(client)
    assert value(samples, "baihua_case_db_up") == 1
    assert value(samples, "baihua_cases", status="received") == 2
    assert value(samples, "baihua_cases", status="closed") == 1
    assert value(samples, "baihua_cases", status="supervised") == 0
    assert value(samples, "baihua_cases_overdue") == 1
    assert value(samples, "baihua_outbox_backlog", state="dead") == 1
    assert value(samples, "baihua_outbox_backlog", state="pending") == 2
    client.post("/api/cases", json=CASE)
    assert value(scrape(client), "baihua_cases", status="received") == 2  # cached: scrapes cannot hammer the DB


def test_bearer_token_is_required_when_configured(open_client: Any) -> None:
    client = open_client(metrics_token="metrics-token-123")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "metrics-token-123"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic metrics-token-123"}).status_code == 401
    assert scrape(client, Authorization="Bearer metrics-token-123")


def test_scrape_survives_a_broken_database(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Any:
        raise OperationalError("SELECT 1", {}, Exception("disk I/O error"))

    client.app.state.cases.db.sessions = broken  # type: ignore[attr-defined]
    client.get("/healthz")
    with caplog.at_level(logging.WARNING):
        samples = scrape(client)
    assert value(samples, "baihua_case_db_up") == 0
    assert not any(name == "baihua_cases" for name, _ in samples)
    assert value(
        samples,
        "baihua_http_request_duration_seconds_count",
        route="/healthz",
        method="GET",
        status="2xx",
        channel="web",
    )
    assert "case metrics unavailable: OperationalError" in caplog.text


def test_index_gauges_follow_the_loaded_searcher(client: TestClient) -> None:
    assert value(scrape(client), "baihua_index_loaded") == 0
    manifest = {"version": 5, "guides_hash": "af739a00ad7de51eae33", "passages": 2546}
    client.app.state.app.searcher = SimpleNamespace(manifest=manifest)  # type: ignore[attr-defined]
    samples = scrape(client)
    assert value(samples, "baihua_index_loaded") == 1
    assert value(samples, "baihua_index_info", version="5", guides_hash="af739a00ad7d") == 1
    assert value(samples, "baihua_index_passages") == 2546
