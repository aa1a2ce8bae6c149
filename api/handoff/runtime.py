"""The handoff background pass: hand idle conversations back to the bot, push queued replies, wipe spent addresses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from api.core.db import Database
from api.handoff import delivery, mode
from api.handoff.address import AddressBox
from api.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class HandoffWorker:
    """One pass = `run_once()`; every replica may run it (deliveries are leased, hand-backs are idempotent)."""

    db: Database  # the gateway's (app.state.db); a pass while it is not ready does nothing
    send: delivery.Send
    box: AddressBox
    cfg: delivery.DeliveryConfig
    timeout: timedelta

    async def run_once(self) -> delivery.DeliveryStats:
        if not self.db.ready:
            return delivery.DeliveryStats()
        sessions = self.db.sessions

        def expire() -> list[int]:
            with sessions() as session:
                return mode.expire_idle(session=session, timeout=self.timeout)

        def forget() -> int:
            with sessions() as session:
                return delivery.forget_addresses(session=session)

        await asyncio.to_thread(expire)
        stats = await delivery.deliver_due(sessions=sessions, send=self.send, box=self.box, cfg=self.cfg)
        await asyncio.to_thread(forget)
        return stats


def build_worker(settings: Settings, db: Database, send: delivery.Send) -> HandoffWorker:
    cfg = delivery.DeliveryConfig(
        max_attempts=settings.handoff_delivery_max_attempts,
        backoff_s=settings.handoff_delivery_backoff_s,
        backoff_max_s=settings.handoff_delivery_backoff_max_s,
        lease_s=settings.handoff_delivery_lease_s,
    )
    timeout = timedelta(minutes=settings.handoff_timeout_min)
    return HandoffWorker(db=db, send=send, box=AddressBox(settings.secret_key), cfg=cfg, timeout=timeout)


async def _forever(worker: HandoffWorker, interval_s: float) -> None:
    while True:
        try:
            await worker.run_once()
        except Exception:
            log.exception("handoff pass failed; retrying in %.1fs", interval_s)
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def handoff_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[HandoffWorker]:
    """Inside the database and channel lifespans (their database and API clients); runs with CASE_BACKGROUND."""
    from api.channels.outbound import ChannelSender

    worker = build_worker(settings, app.state.db, ChannelSender(app.state.channels))
    app.state.handoff_worker = worker
    task = None
    if settings.case_background:
        task = asyncio.create_task(_forever(worker, settings.handoff_delivery_interval_s))
    try:
        yield worker
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
