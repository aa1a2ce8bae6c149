"""Delivers outbox events to the external work-order system as signed webhooks, at least once, across restarts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.cases.models import Outbox
from api.core.clock import utcnow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Case-Signature"
TIMESTAMP_HEADER = "X-Case-Timestamp"
EVENT_ID_HEADER = "X-Case-Event-Id"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over "<timestamp>.<body>", so a receiver can also refuse stale replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: float = 300) -> bool:
    """What a receiver does; used by the tests' fake receiver and handy for partners."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class WorkerConfig:
    url: str
    secret: str
    batch: int = 50
    lease_s: float = 60.0
    max_attempts: int = 12
    backoff_s: float = 2.0
    backoff_max_s: float = 3600.0
    timeout_s: float = 10.0


@dataclass
class Claimed:
    id: int
    event_id: str
    payload: str
    attempts: int


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed + self.dead


def backoff_delay(attempts: int, *, base_s: float, max_s: float) -> timedelta:
    """Exponential with jitter, so many failed events do not all come back at the same second."""
    base = min(base_s * (2 ** max(attempts - 1, 0)), max_s)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


def backoff(attempts: int, cfg: WorkerConfig) -> timedelta:
    return backoff_delay(attempts, base_s=cfg.backoff_s, max_s=cfg.backoff_max_s)


def claim_due(*, session: Session, cfg: WorkerConfig, now: datetime | None = None) -> list[Claimed]:
    """Take a lease on due events by pushing next_attempt_at forward; a crashed worker's lease simply expires."""
    now = now or utcnow()
    stmt = (
        select(Outbox)
        .where(Outbox.delivered_at.is_(None), Outbox.dead_at.is_(None), Outbox.next_attempt_at <= now)
        .order_by(Outbox.id)
        .limit(cfg.batch)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(stmt))
    lease_until = now + timedelta(seconds=cfg.lease_s)
    claimed = []
    for row in rows:
        row.next_attempt_at = lease_until
        claimed.append(Claimed(id=row.id, event_id=row.event_id, payload=row.payload, attempts=row.attempts))
    session.commit()
    return claimed


def _post(client: httpx.Client, cfg: WorkerConfig, item: Claimed) -> str | None:
    body = item.payload.encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_ID_HEADER: item.event_id,
        "Idempotency-Key": item.event_id,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(cfg.secret, ts, body),
    }
    try:
        resp = client.post(cfg.url, content=body, headers=headers, timeout=cfg.timeout_s)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= resp.status_code < 300:
        return None
    return f"HTTP {resp.status_code}"


def deliver_due(*, sessions: sessionmaker[Session], client: httpx.Client, cfg: WorkerConfig) -> DeliveryStats:
    """One pass: claim, send, record the outcome; returns what happened for logs and tests."""
    stats = DeliveryStats()
    with sessions() as session:
        claimed = claim_due(session=session, cfg=cfg)
    for item in claimed:
        error = _post(client, cfg, item)
        with sessions() as session:
            row = session.get(Outbox, item.id)
            if row is None or row.delivered_at is not None:
                continue
            now = utcnow()
            row.attempts = item.attempts + 1
            if error is None:
                row.delivered_at = now
                row.last_error = None
                stats.delivered += 1
            elif row.attempts >= cfg.max_attempts:
                row.dead_at = now
                row.last_error = error
                stats.dead += 1
                log.warning("outbox event %s dead after %d attempts: %s", row.event_id, row.attempts, error)
            else:
                row.next_attempt_at = now + backoff(row.attempts, cfg)
                row.last_error = error
                stats.failed += 1
            session.commit()
    return stats


def dead_letters(*, session: Session, limit: int = 100) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.dead_at.is_not(None), Outbox.delivered_at.is_(None))
    return list(session.scalars(stmt.order_by(Outbox.id).limit(limit)))


def retry_dead(*, session: Session, event_id: str) -> Outbox | None:
    """Staff put a dead event back in the queue once the receiving system is fixed."""
    row = session.scalar(select(Outbox).where(Outbox.event_id == event_id))
    if row is None or row.dead_at is None or row.delivered_at is not None:
        return None
    row.dead_at = None
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.commit()
    return row


def pending_count(*, session: Session) -> int:
    stmt = select(Outbox.id).where(Outbox.delivered_at.is_(None), Outbox.dead_at.is_(None))
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
