"""The outbox of agent replies and hand-back notices: at least once, in order per handoff, across restarts.

A row is queued in the transaction that stores the line. WeChat, the mini-program and Telegram rows are pushed by
`deliver_due` (the background pass in api/handoff/runtime.py) through the channel's send API, with the case
outbox's lease and backoff; widget rows wait for the widget's inbox poll, which marks what it returned as sent.
After the last attempt a row is `failed`, with the error, and the console thread shows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from api.cases.outbox import backoff_delay
from api.core.clock import utcnow
from api.handoff.address import AddressBox, AddressError
from api.handoff.models import Handoff, HandoffDelivery, HandoffMessage
from civic.channels import MESSENGERS

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
PUSHED = MESSENGERS  # channels with a send API; the others poll the inbox
MAX_ERROR_CHARS = 500
NO_ADDRESS = "no reply address stored for this conversation"

# (channel, platform user id, text, parts already sent): a text too long for one message goes out in parts, and a
# retry starts at the first part not yet through. It returns how many parts are through (all of them); a
# DeliveryError says how many were through by then
Send = Callable[[str, str, str, int], Awaitable[int]]


class DeliveryError(Exception):
    """A send that did not go out; `permanent` (a blocked bot, WeChat's 48-hour window) is not retried.
    The message is shown to staff, so channel code must not put tokens or user ids in it."""

    def __init__(self, message: str, *, permanent: bool = False, parts_sent: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.parts_sent = parts_sent


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = 8
    backoff_s: float = 2.0
    backoff_max_s: float = 600.0
    lease_s: float = 60.0
    batch: int = 20


@dataclass(frozen=True)
class Claimed:
    id: int
    handoff_id: int
    channel: str
    sender: str
    text: str
    address: str | None  # sealed
    attempts: int
    parts_sent: int = 0


@dataclass
class DeliveryStats:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def enqueue(*, session: Session, handoff: Handoff, message: HandoffMessage, now: datetime) -> HandoffDelivery:
    """Queue a line for the citizen's channel; added to the caller's transaction."""
    row = HandoffDelivery(
        message_id=message.id,
        handoff_id=handoff.id,
        channel=handoff.channel[:16],
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def picked_up(*, session: Session, message_ids: Sequence[int], now: datetime | None = None) -> int:
    """The widget's inbox returned these lines: their (inbox) deliveries are done. Added to the caller's session."""
    result = session.execute(
        update(HandoffDelivery)
        .where(HandoffDelivery.message_id.in_(list(message_ids)), HandoffDelivery.state == PENDING)
        .where(HandoffDelivery.channel.not_in(PUSHED))
        .values(state=SENT, sent_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim_due(*, session: Session, cfg: DeliveryConfig, now: datetime | None = None) -> list[Claimed]:
    """Lease due pushed rows by moving next_attempt_at past the lease; a row waits while an earlier pending row of
    its handoff exists, so a citizen never reads a later reply before an earlier one."""
    now = now or utcnow()
    earlier = aliased(HandoffDelivery)
    blocked = exists().where(
        earlier.handoff_id == HandoffDelivery.handoff_id, earlier.state == PENDING, earlier.id < HandoffDelivery.id
    )
    stmt = (
        select(HandoffDelivery)
        .where(HandoffDelivery.state == PENDING, HandoffDelivery.channel.in_(PUSHED))
        .where(HandoffDelivery.next_attempt_at <= now, ~blocked)
        .order_by(HandoffDelivery.id)
        .limit(cfg.batch)
        .with_for_update(skip_locked=True, of=HandoffDelivery)
    )
    claimed = []
    for row in session.scalars(stmt).all():
        row.next_attempt_at = now + timedelta(seconds=cfg.lease_s)
        handoff = session.get(Handoff, row.handoff_id)
        if handoff is None:
            continue
        claimed.append(
            Claimed(
                id=row.id,
                handoff_id=row.handoff_id,
                channel=row.channel,
                sender=handoff.sender,
                text=row.message.text,
                address=handoff.address,
                attempts=row.attempts,
                parts_sent=row.parts_sent,
            )
        )
    session.commit()
    return claimed


def record(
    *,
    session: Session,
    item: Claimed,
    error: str | None,
    permanent: bool,
    cfg: DeliveryConfig,
    now: datetime,
    parts_sent: int | None = None,
) -> str:
    """The outcome of one attempt (and how many parts of a long text are through); returns the row's new state."""
    row = session.get(HandoffDelivery, item.id)
    if row is None or row.state != PENDING:
        return row.state if row is not None else FAILED
    row.attempts = item.attempts + 1
    if parts_sent is not None:
        row.parts_sent = max(row.parts_sent, parts_sent)
    if error is None:
        row.state, row.sent_at, row.last_error = SENT, now, None
    elif permanent or row.attempts >= cfg.max_attempts:
        row.state, row.last_error = FAILED, error[:MAX_ERROR_CHARS]
        log.warning("handoff %d: a delivery failed after %d attempt(s): %s", item.handoff_id, row.attempts, error)
    else:
        row.last_error = error[:MAX_ERROR_CHARS]
        row.next_attempt_at = now + backoff_delay(row.attempts, base_s=cfg.backoff_s, max_s=cfg.backoff_max_s)
    session.commit()
    return row.state


def retry(*, session: Session, delivery_id: int, handoff_id: int) -> HandoffDelivery | None:
    """Staff send a failed line again (the citizen wrote back, the channel is fixed)."""
    row = session.get(HandoffDelivery, delivery_id)
    if row is None or row.handoff_id != handoff_id or row.state != FAILED:
        return None
    row.state, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    session.commit()
    return row


def forget_addresses(*, session: Session) -> int:
    """Closed handoffs with nothing left to push no longer need the citizen's platform id: wipe it."""
    waiting = exists().where(HandoffDelivery.handoff_id == Handoff.id, HandoffDelivery.state == PENDING)
    result = session.execute(
        update(Handoff)
        .where(Handoff.status == "closed", Handoff.address.is_not(None), ~waiting)
        .values(address=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def remember_address(*, session: Session, handoff_id: int, sender: str, address: str, box: AddressBox) -> bool:
    """The channel adapter, on a turn of an open handoff: where to send the agent's replies (stored once)."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.sender == sender, Handoff.status != "closed")
        .where(Handoff.address.is_(None))  # a sender id is one platform user: the first address stays right
        .values(address=box.seal(address, sender=sender))
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


async def deliver_due(
    *, sessions: sessionmaker[Session], send: Send, box: AddressBox, cfg: DeliveryConfig
) -> DeliveryStats:
    """One pass: claim, send, record. The database calls run off the event loop."""

    def claim() -> list[Claimed]:
        with sessions() as session:
            return claim_due(session=session, cfg=cfg)

    def save(item: Claimed, error: str | None, permanent: bool, parts: int | None) -> str:
        with sessions() as session:
            return record(
                session=session, item=item, error=error, permanent=permanent, cfg=cfg, now=utcnow(), parts_sent=parts
            )

    stats = DeliveryStats()
    for item in await asyncio.to_thread(claim):
        error, permanent, parts = await _attempt(item, send, box)
        state = await asyncio.to_thread(save, item, error, permanent, parts)
        if state == SENT:
            stats.sent += 1
        elif state == FAILED:
            stats.failed += 1
        else:
            stats.retrying += 1
    return stats


async def _attempt(item: Claimed, send: Send, box: AddressBox) -> tuple[str | None, bool, int | None]:
    """(error or None, permanent, parts through so far when the sender said)."""
    if item.address is None:
        return NO_ADDRESS, False, None  # the adapter stores it right after the turn that opened the handoff: retry
    try:
        address = box.open(item.address, sender=item.sender)
    except AddressError as exc:
        return str(exc), True, None
    try:
        through = await send(item.channel, address, item.text, item.parts_sent)
    except DeliveryError as exc:
        return str(exc) or type(exc).__name__, exc.permanent, exc.parts_sent
    except Exception as exc:  # never the message: it may carry a URL with a token or an id
        return f"{type(exc).__name__} while sending", False, None
    return None, False, through
