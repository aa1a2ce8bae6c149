"""Start-up and background work of the case system: migrations, the overdue scheduler, the outbox worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from api.cases.config import CaseConfig, load_config
from api.cases.db import CaseDB
from api.cases.filing import FilingLimits, build_filing_limits
from api.cases.guesses import GuessLimiter, build_limiters
from api.cases.outbox import WorkerConfig, deliver_due
from api.cases.service import mark_overdue
from api.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class CasesRuntime:
    db: CaseDB
    config: CaseConfig
    settings: Settings
    lookups: GuessLimiter  # wrong phone_last4 on case numbers
    logins: GuessLimiter  # wrong passwords, console and staff API together
    filings: FilingLimits  # POST /api/cases per address and per phone
    ready: bool = False  # false until migrations ran; case endpoints answer 503 meanwhile

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
        if not self.ready:
            return []
        with self.db.sessions() as session:
            return mark_overdue(session=session, config=self.config)

    def open311_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.settings.open311_api_keys.split(",") if k.strip())


def build_runtime(settings: Settings) -> CasesRuntime:
    config = load_config(
        settings.case_categories_file,
        forwarding_enabled=bool(settings.case_webhook_url),
        departments_file=settings.case_departments_file or settings.guides_dir / "departments.yml",
    )
    lookups, logins = build_limiters(settings)
    db = CaseDB.connect(settings.database_url)
    filings = build_filing_limits(settings)
    return CasesRuntime(db=db, config=config, settings=settings, lookups=lookups, logins=logins, filings=filings)


async def _every(interval_s: float, name: str, work: Callable[[], object]) -> None:
    """Run blocking work in a thread forever; one failure is logged and retried, never kills the gateway."""
    while True:
        try:
            await asyncio.to_thread(work)
        except Exception:
            log.exception("%s failed; retrying in %.0fs", name, interval_s)
        await asyncio.sleep(interval_s)


async def _migrate_until_ready(runtime: CasesRuntime, retry_s: float) -> None:
    while not runtime.ready:
        await asyncio.sleep(retry_s)
        try:
            await asyncio.to_thread(runtime.db.upgrade)
            runtime.ready = True
            log.info("case database is back; case endpoints are open")
        except Exception as exc:
            log.warning("case database still unavailable: %s", type(exc).__name__)


@asynccontextmanager
async def cases_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[CasesRuntime]:
    """Migrate, then run the background loops; a database that is down gives 503s on cases, never a dead gateway."""
    runtime = build_runtime(settings)
    app.state.cases = runtime
    redis_client = None
    if settings.redis_url:  # replicas share the guess counters of case lookups and staff logins
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        runtime.lookups, runtime.logins = build_limiters(settings, redis_client)
        runtime.filings = build_filing_limits(settings, redis_client)
    tasks: list[asyncio.Task[None]] = []
    try:
        await asyncio.to_thread(runtime.db.upgrade)
        runtime.ready = True
    except Exception:
        log.exception("case database unavailable at start-up; retrying in the background")
        tasks.append(asyncio.create_task(_migrate_until_ready(runtime, 5.0)))
    client: httpx.Client | None = None
    if settings.case_background:
        tasks.append(asyncio.create_task(_every(settings.case_scheduler_interval_s, "overdue", runtime.run_overdue)))
        worker = runtime.worker_config()
        if worker is not None:
            client = httpx.Client()
            c = client

            def deliver() -> None:
                if runtime.ready:
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
        runtime.db.dispose()
