"""Start-up and background work of the case system: the overdue scheduler and the outbox worker.

The database and its migrations are api/core/db.py's (`database_lifespan`, which runs first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

from api.cases.config import CaseConfig, load_config
from api.cases.filing import FilingLimits, build_filing_limits
from api.cases.outbox import WorkerConfig, deliver_due
from api.cases.service import mark_overdue
from api.core.db import Database
from api.core.guesses import GuessLimiter, GuessPolicy, build_limiter
from api.settings import Settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)


@dataclass
class CasesRuntime:
    db: Database  # the gateway's (app.state.db); case endpoints answer 503 until it is ready
    config: CaseConfig
    settings: Settings
    lookups: GuessLimiter  # wrong phone_last4 on case numbers
    filings: FilingLimits  # POST /api/cases per address and per phone

    def worker_config(self) -> WorkerConfig | None:
        if not self.settings.case_webhook_url:
            return None
        return WorkerConfig(
            url=self.settings.case_webhook_url,
            secret=self.settings.case_webhook_secret,
            max_attempts=self.settings.case_outbox_max_attempts,
            backoff_s=self.settings.case_outbox_backoff_s,
            lease_s=self.settings.case_outbox_lease_s,
        )

    def run_overdue(self) -> list[str]:
        if not self.db.ready:
            return []
        with self.db.sessions() as session:
            return mark_overdue(session=session, config=self.config)

    def open311_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.settings.open311_api_keys.split(",") if k.strip())


def build_runtime(settings: Settings, db: Database, redis_client: redis.Redis | None = None) -> CasesRuntime:
    """Case lookups and filings are counted in Redis when a client is given, so replicas share the counts."""
    config = load_config(
        settings.case_categories_file,
        forwarding_enabled=bool(settings.case_webhook_url),
        departments_file=settings.case_departments_file or settings.guides_dir / "departments.yml",
    )
    lookups = build_limiter(GuessPolicy.lookups(settings), redis_client, prefix="guess:lookup:")
    filings = build_filing_limits(settings, redis_client)
    return CasesRuntime(db=db, config=config, settings=settings, lookups=lookups, filings=filings)


async def _every(interval_s: float, name: str, work: Callable[[], object]) -> None:
    """Run blocking work in a thread forever; one failure is logged and retried, never kills the gateway."""
    while True:
        try:
            await asyncio.to_thread(work)
        except Exception:
            log.exception("%s failed; retrying in %.0fs", name, interval_s)
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def cases_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[CasesRuntime]:
    """Inside the database lifespan (app.state.db): the background loops, which skip their pass while it is down."""
    redis_client = None
    if settings.redis_url:  # replicas share the guess counters of case lookups and the filing budgets
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
    runtime = build_runtime(settings, app.state.db, redis_client)
    app.state.cases = runtime
    tasks: list[asyncio.Task[None]] = []
    client: httpx.Client | None = None
    if settings.case_background:
        tasks.append(asyncio.create_task(_every(settings.case_scheduler_interval_s, "overdue", runtime.run_overdue)))
        worker = runtime.worker_config()
        if worker is not None:
            client = httpx.Client()
            c = client

            def deliver() -> None:
                if runtime.db.ready:
                    deliver_due(sessions=runtime.db.sessions, client=c, cfg=worker)

            tasks.append(asyncio.create_task(_every(settings.case_outbox_interval_s, "outbox", deliver)))
    try:
        yield runtime
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        if client is not None:
            client.close()
        if redis_client is not None:
            redis_client.close()
