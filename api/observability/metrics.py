"""Prometheus metrics: request latency, chat outcomes, and case-system gauges read at scrape time."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cases.models import Case, Outbox
from api.cases.states import OPEN_STATUSES, Status
from api.chat.schemas import Channel, ChatMeta, RouteKind
from api.core.clock import china_today
from api.core.db import Database
from api.settings import Settings
from civic.channels import MESSENGERS

log = logging.getLogger(__name__)

PREFIX = "baihua"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
WEBHOOK_CHANNELS = MESSENGERS  # each webhook route is named after its channel (/wechat, /miniprogram, /telegram)
OUTCOMES: dict[RouteKind, str] = {
    "guide": "answered",
    "bundle": "answered",
    "window": "answered",
    "none": "abstained",
    "handoff": "handoff",
    "complaint": "complaint",
}
CASE_CACHE_S = 5.0


class Metrics:
    """One registry per app: tests build many apps, and the global default registry refuses duplicates."""

    def __init__(self) -> None:
        self.collector: StateCollector | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Gateway request latency by route template, method, status class and channel.",
            ["route", "method", "status", "channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.turns = Counter(
            f"{PREFIX}_chat_turns",
            "Chat turns by channel and outcome (answered, abstained, handoff, complaint).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            f"{PREFIX}_chat_rasa_fallbacks",
            "Turns answered without Rasa (down, slow or broken): the degraded search path.",
            ["channel"],
            registry=self.registry,
        )
        for channel in get_args(Channel):  # series exist from the start, so rate() works on the first turn
            self.fallbacks.labels(channel=channel)
            for outcome in dict.fromkeys(OUTCOMES.values()):
                self.turns.labels(channel=channel, outcome=outcome)

    def observe_turn(self, channel: Channel, meta: ChatMeta) -> None:
        self.turns.labels(channel=channel, outcome=OUTCOMES.get(meta.route.kind, "abstained")).inc()
        if meta.degraded:
            self.fallbacks.labels(channel=channel).inc()

    def observe_request(self, *, route: str, method: str, status: int, channel: str, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(route=route, method=method, status=f"{status // 100}xx", channel=channel).observe(seconds)


def request_channel(path: str, headers: Iterable[tuple[bytes, bytes]]) -> str:
    """A fixed set of values: webhook routes name their channel, /api/chat trusts X-Chat-Channel only for widget."""
    first = path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""
    if first in WEBHOOK_CHANNELS:
        return first
    if path == "/api/chat":
        header = next((v for k, v in headers if k == b"x-chat-channel"), b"")
        return "widget" if header == b"widget" else "api"
    return "web"


class MetricsMiddleware:
    """Pure ASGI, outermost: times every HTTP request, including ones other middlewares answer early."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        # top-level Starlette routes and mounts (docs, static files) do not leave an APIRoute in the scope
        self.plain_routes = [r for r in routes if isinstance(r, Route | Mount)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        probe = {
            "type": "http",
            "path": scope["path"],
            "root_path": scope.get("root_path", ""),
            "method": scope["method"],
        }
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe_request(
                route=self.route_template(scope, probe),
                method=probe["method"],
                status=status,
                channel=request_channel(probe["path"], scope.get("headers", [])),
                seconds=time.perf_counter() - start,
            )

    def route_template(self, scope: Scope, probe: dict[str, Any]) -> str:
        """The template, never the raw path, so the number of series stays bounded; unmatched is "other"."""
        route = scope.get("route")
        template = getattr(route, "path_format", None)
        if isinstance(template, str):
            return template
        if scope.get("endpoint") is not None:
            for plain in self.plain_routes:
                match, _ = plain.matches(probe)
                if match == Match.FULL:
                    return str(plain.path_format)
        return "other"


@dataclass(frozen=True)
class CaseStats:
    by_status: dict[str, int]
    overdue: int
    outbox_pending: int
    outbox_dead: int


def read_case_stats(*, session: Session) -> CaseStats:
    """Four aggregate queries in one transaction; overdue counts every open case, 督办 included, past its deadline."""
    by_status = {s.value: 0 for s in Status}
    for status, count in session.execute(select(Case.status, func.count()).group_by(Case.status)):
        by_status[str(status)] = int(count)
    overdue = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.status.in_([s.value for s in OPEN_STATUSES]), Case.deadline < china_today())
    )
    undelivered = select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None))
    pending = session.scalar(undelivered.where(Outbox.dead_at.is_(None)))
    dead = session.scalar(undelivered.where(Outbox.dead_at.is_not(None)))
    return CaseStats(
        by_status=by_status, overdue=int(overdue or 0), outbox_pending=int(pending or 0), outbox_dead=int(dead or 0)
    )


class StateCollector(Collector):
    """Read at scrape time, cached a few seconds so scrapes cannot hammer the database; never fails a scrape."""

    def __init__(self, app: FastAPI, cache_s: float = CASE_CACHE_S) -> None:
        self.app = app
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, CaseStats | None] | None = None

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not touch the database

    def case_stats(self) -> CaseStats | None:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self.cache_s:
                return self._cached[1]
            stats: CaseStats | None = None
            db: Database | None = getattr(self.app.state, "db", None)
            if db is not None and db.ready:
                try:
                    with db.sessions() as session:
                        stats = read_case_stats(session=session)
                except Exception as exc:
                    log.warning("case metrics unavailable: %s", type(exc).__name__)
            self._cached = (now, stats)
            return stats

    def collect(self) -> Iterable[Metric]:
        stats = self.case_stats()
        up = GaugeMetricFamily(f"{PREFIX}_case_db_up", "1 when the case database answered the last metrics read.")
        up.add_metric([], 1.0 if stats is not None else 0.0)
        yield up
        if stats is not None:
            cases = GaugeMetricFamily(f"{PREFIX}_cases", "Cases by status.", labels=["status"])
            for status, count in sorted(stats.by_status.items()):
                cases.add_metric([status], count)
            yield cases
            yield GaugeMetricFamily(
                f"{PREFIX}_cases_overdue",
                "Open cases (supervised ones included) past their reply deadline.",
                value=stats.overdue,
            )
            outbox = GaugeMetricFamily(
                f"{PREFIX}_outbox_backlog", "Undelivered outbox events: pending (retrying) or dead.", labels=["state"]
            )
            outbox.add_metric(["pending"], stats.outbox_pending)
            outbox.add_metric(["dead"], stats.outbox_dead)
            yield outbox
        yield from self.index_metrics()

    def index_metrics(self) -> Iterable[Metric]:
        searcher = getattr(getattr(self.app.state, "app", None), "searcher", None)
        loaded = GaugeMetricFamily(f"{PREFIX}_index_loaded", "1 when the search index is loaded.")
        loaded.add_metric([], 0.0 if searcher is None else 1.0)
        yield loaded
        if searcher is None:
            return
        manifest: dict[str, Any] = getattr(searcher, "manifest", {}) or {}
        info = GaugeMetricFamily(
            f"{PREFIX}_index_info",
            "The loaded index: format version and guides hash.",
            labels=["version", "guides_hash"],
        )
        info.add_metric([str(manifest.get("version", "")), str(manifest.get("guides_hash", ""))[:12]], 1.0)
        yield info
        yield GaugeMetricFamily(
            f"{PREFIX}_index_passages", "Passages in the loaded index.", value=float(manifest.get("passages", 0) or 0)
        )


def install_metrics(app: FastAPI, settings: Settings) -> Metrics:
    """Call last in create_app, so the timing middleware is the outermost one."""
    metrics = Metrics()
    metrics.collector = StateCollector(app)
    metrics.registry.register(metrics.collector)
    app.state.metrics = metrics
    token = settings.metrics_token.encode()

    def scrape(request: Request) -> Response:
        if token:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
                return JSONResponse({"detail": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    if token or settings.app_env != "production":  # production without METRICS_TOKEN: no /metrics at all (404)
        app.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=app.router.routes)
    return metrics
