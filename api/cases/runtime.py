"""Start-up and background work of the case system: migrations, the overdue scheduler, the outbox worker."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from api.cases.config import CaseConfig, load_config
from api.cases.db import CaseDB
from api.cases.outbox import WorkerConfig, deliver_due
from api.cases.service import mark_overdue
from api.settings import Settings

log = logging.getLogger(__name__)


class LookupLimiter:
    """Caps wrong phone_last4 guesses per case number; unknown numbers count the same, so it leaks nothing."""

    def __init__(self, max_failures: int = 10, window_s: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, key: str) -> bool:
        q = self._failures.get(key)
        if not q:
            return False
        cutoff = time.monotonic() - self.window_s
        while q and q[0] < cutoff:
            q.popleft()
        return len(q) >= self.max_failures

    def failed(self, key: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        self._failures.setdefault(key, deque()).append(time.monotonic())


class RedisLookupLimiter:
    """LookupLimiter's counts in Redis, so N gateway replicas do not give a guesser N times the tries.

    A fixed window per key (INCR, and EXPIRE on the first failure). Redis unreachable: the in-process
    limiter takes over (same limits, per replica) and Redis is skipped for a few seconds; never fails a request.
    """

    def __init__(self, client: Any, max_failures: int, window_s: float, *, prefix: str, retry_after_s: float = 5.0):
        self.client = client
        self.max_failures = max_failures
        self.window_s = max(1, int(window_s))
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        self.fallback = LookupLimiter(max_failures, window_s)
        self._skip_until = 0.0

    def _redis(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _down(self, exc: Exception) -> None:
        self._skip_until = time.monotonic() + self.retry_after_s
        log.warning("lookup limits: Redis unreachable (%s); per-replica limits meanwhile", exc)

    def blocked(self, key: str) -> bool:
        import redis

        if self._redis():
            try:
                count = self.client.get(self.prefix + key)
                return count is not None and int(count) >= self.max_failures
            except redis.RedisError as exc:
                self._down(exc)
        return self.fallback.blocked(key)

    def failed(self, key: str) -> None:
        import redis

        self.fallback.failed(key)  # kept too, so a Redis outage does not reset what this replica saw
        if self._redis():
            try:
                pipe = self.client.pipeline()
                pipe.incr(self.prefix + key)
                pipe.expire(self.prefix + key, self.window_s, nx=True)
                pipe.execute()
            except redis.RedisError as exc:
                self._down(exc)


@dataclass
class CasesRuntime:
    db: CaseDB
    config: CaseConfig
    settings: Settings
    limiter: LookupLimiter | RedisLookupLimiter = field(default_factory=LookupLimiter)
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
    config = load_config(settings.case_categories_file, forwarding_enabled=bool(settings.case_webhook_url))
    return CasesRuntime(db=CaseDB.connect(settings.database_url), config=config, settings=settings)


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
    if settings.redis_url:  # replicas share the guess counters of case lookups and console logins
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        runtime.limiter = RedisLookupLimiter(redis_client, 10, 900.0, prefix="lookup:")
        app.state.console_limiter = RedisLookupLimiter(
            redis_client, settings.console_login_max_failures, 900.0, prefix="login:"
        )
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
