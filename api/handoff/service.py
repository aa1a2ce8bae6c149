"""Keyword-only data functions for handoffs, agent replies and chat-turn records."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.chat.content import load_messages
from api.core import wording
from api.core.clock import utcnow
from api.core.db import Database
from api.handoff import delivery
from api.handoff.models import ChatTurn, Handoff, HandoffMessage
from index import text as text_mod

log = logging.getLogger(__name__)

Author = Literal["user", "bot", "agent"]
HANDOFF_STATUSES = ("open", "answered", "closed")
CloseReason = Literal["agent", "timeout"]
NOTICES: dict[CloseReason, str] = {"agent": "ended_by_agent", "timeout": "ended_by_timeout"}  # chat.yml keys
MAX_TURN_TEXT = 500
# turns of the public /api/chat, where the caller names its own sender id: only the holder of a handoff's key
# reads its inbox or writes into its thread. The signed channels (wx:/mp:/tg: ids) need no key.
KEYED_CHANNELS = frozenset({"widget", "api"})
KEY_BYTES = 32

# after normalize(): NFKC digits, lower case (log lines keep their case, hence X); the order matters
# (ID numbers before phones, which are shorter)
_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dxX])(?![\dxX])|(?<!\d)\d{15}(?!\d)")
# separators include "+" and "%20": logs (api/observability) mask URL query strings with this too
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:(?:[\s+-]|%20)?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?[2-9]\d{6,7}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{11,}")  # bank cards and anything else long enough to identify someone


def mask_personal(text: str) -> str:
    """Replace ID-card numbers, mobile and landline numbers with placeholders before anything is stored."""
    masks = wording.table("chat", "masks")
    text = _ID_NUMBER.sub(masks["id_number"], text)
    text = _MOBILE.sub(masks["phone"], text)
    text = _LANDLINE.sub(masks["phone"], text)
    return _LONG_DIGITS.sub(masks["number"], text)


def clean_question(text: str) -> str:
    """The form a question is stored and grouped in: normalised (index.text.normalize), then masked."""
    return mask_personal(text_mod.normalize(text))[:MAX_TURN_TEXT]


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def record_turn(
    *,
    session: Session,
    sender: str,
    channel: str,
    text: str,
    route_kind: str,
    route_id: str | None,
    confident: bool,
    degraded: bool,
    at: datetime | None = None,
    handoff_key: str | None = None,
) -> ChatTurn:
    """Store one chat turn's outcome (for the figures and the knowledge gaps) and commit."""
    turn = ChatTurn(
        at=_aware(at),
        sender=sender[:128],
        channel=channel[:16],
        text=clean_question(text) or wording.text("chat", "masks.empty"),
        route_kind=(route_kind or "none")[:16],
        route_id=route_id[:100] if route_id else None,
        confident=bool(confident),
        degraded=bool(degraded),
    )
    session.add(turn)
    if route_kind != "handoff":  # the turn that opened a handoff is already the last line of its transcript
        follow_up(session=session, sender=turn.sender, channel=channel, text=text, at=turn.at, key=handoff_key)
    session.commit()
    return turn


MAX_FOLLOW_UP_CHARS = 2000


def follow_up(
    *, session: Session, sender: str, channel: str, text: str, at: datetime, key: str | None = None
) -> HandoffMessage | None:
    """A citizen writing again while a person has their conversation: the agent sees it in the thread,
    and an answered handoff goes back to `open`, to the top of the queue. Added to the caller's session."""
    handoff = open_for(session=session, sender=sender)
    if handoff is None or not text.strip():
        return None
    if channel in KEYED_CHANNELS and not holds_key(handoff, key):
        return None  # knowing a widget's sender id is not enough to write into its thread
    msg = HandoffMessage(handoff_id=handoff.id, sender=sender, author="user", text=text[:MAX_FOLLOW_UP_CHARS], at=at)
    session.add(msg)
    handoff.status = "open"
    handoff.updated_at = at
    return msg


def record_turn_best_effort(db: Database | None, **kwargs: Any) -> int | None:
    """The same, for callers that must never fail because of analytics: takes the database, logs errors.
    Returns the turn's id (what per-answer feedback names), None when it was not recorded."""
    try:
        if db is None or not db.ready:
            return None
        with db.sessions() as session:
            return record_turn(session=session, **kwargs).id
    except Exception:
        log.exception("could not record a chat turn")
        return None


def key_digest(key: str) -> str:
    """What is stored of an inbox key: sha256 is enough for 256 random bits, and a database dump reveals no key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def holds_key(handoff: Handoff, key: str | None) -> bool:
    if not key or handoff.key_hash is None:
        return False
    return hmac.compare_digest(handoff.key_hash, key_digest(key))


def _keyed_ids(session: Session, *, sender: str, key: str) -> Sequence[int]:
    stmt = select(Handoff.id).where(Handoff.sender == sender, Handoff.key_hash == key_digest(key))
    return session.scalars(stmt).all()


def issue_key(*, session: Session, handoff_id: int, sender: str, presented: str | None = None) -> str | None:
    """The inbox key of a handoff that a /api/chat turn of `sender` just opened, for that turn's reply only: set
    once (None if it already has one). A widget holding the key of an earlier handoff of its own keeps that key."""
    keep = presented if presented and _keyed_ids(session, sender=sender, key=presented) else None
    key = keep or secrets.token_urlsafe(KEY_BYTES)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.sender == sender, Handoff.key_hash.is_(None))
        .values(key_hash=key_digest(key))
    )
    session.commit()
    return key if getattr(result, "rowcount", 0) == 1 else None


def issue_key_best_effort(db: Database | None, **kwargs: Any) -> str | None:
    """issue_key for the chat route: without a database the reply still goes out, only without a key."""
    try:
        if db is None or not db.ready:
            return None
        with db.sessions() as session:
            return issue_key(session=session, **kwargs)
    except Exception:
        log.exception("could not issue a handoff key")
        return None


@dataclass(frozen=True)
class TranscriptLine:
    author: Author
    text: str
    at: datetime | None = None


def open_for(*, session: Session, sender: str) -> Handoff | None:
    """The sender's handoff that is not closed: at most one (the partial unique index uq_handoffs_open_sender)."""
    stmt = select(Handoff).where(Handoff.sender == sender, Handoff.status != "closed").order_by(Handoff.id.desc())
    return session.scalars(stmt.limit(1)).first()


def open_handoff(
    *, session: Session, sender: str, channel: str, reason: str, transcript: Sequence[TranscriptLine]
) -> tuple[Handoff, bool]:
    """Open a handoff with the conversation so far (kept as it was said), or return the one already open for this
    sender: (handoff, True when this call opened it). Two racing calls meet at the unique index; one wins."""
    existing = open_for(session=session, sender=sender)
    if existing is not None:
        return existing, False
    now = utcnow()
    handoff = Handoff(sender=sender, channel=channel, reason=reason, status="open", created_at=now, updated_at=now)
    session.add(handoff)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        again = open_for(session=session, sender=sender)
        if again is None:
            raise
        return again, False
    for line in transcript:
        session.add(
            HandoffMessage(
                handoff_id=handoff.id, sender=sender, author=line.author, text=line.text, at=_aware(line.at or now)
            )
        )
    session.commit()
    log.info("handoff %d opened for a %s conversation", handoff.id, channel)
    return handoff, True


def create_handoff(
    *, session: Session, sender: str, channel: str, reason: str, transcript: Sequence[TranscriptLine]
) -> Handoff:
    """open_handoff for callers that need only the handoff."""
    handoff, _ = open_handoff(session=session, sender=sender, channel=channel, reason=reason, transcript=transcript)
    return handoff


def get_handoff(*, session: Session, handoff_id: int) -> Handoff | None:
    return session.get(Handoff, handoff_id)


def list_handoffs(*, session: Session, status: str | None = None, limit: int = 100) -> Sequence[Handoff]:
    stmt = select(Handoff)
    if status:
        stmt = stmt.where(Handoff.status == status)
    return session.scalars(stmt.order_by(Handoff.status != "open", Handoff.id.desc()).limit(limit)).all()


def agent_reply(*, session: Session, handoff: Handoff, text: str, agent: str) -> HandoffMessage:
    """An agent's answer, queued for the citizen's channel in the same transaction (api/handoff/delivery.py)."""
    now = utcnow()
    msg = HandoffMessage(handoff_id=handoff.id, sender=handoff.sender, author="agent", agent=agent, text=text, at=now)
    session.add(msg)
    handoff.status = "answered" if handoff.status == "open" else handoff.status
    handoff.assignee = handoff.assignee or agent
    handoff.updated_at = now
    handoff.agent_at = now
    session.flush()
    delivery.enqueue(session=session, handoff=handoff, message=msg, now=now)
    session.commit()
    return msg


def hand_back(
    *, session: Session, handoff: Handoff, reason: CloseReason, now: datetime | None = None
) -> HandoffMessage | None:
    """The conversation goes back to the bot: closed, with a notice to the citizen on their channel (queued like an
    agent reply). Added to the caller's session; None when it was closed already."""
    if handoff.status == "closed":
        return None
    now = now or utcnow()
    handoff.status = "closed"
    handoff.closed_reason = reason
    handoff.updated_at = now
    notice = HandoffMessage(
        handoff_id=handoff.id,
        sender=handoff.sender,
        author="system",
        text=load_messages().text("handoff", NOTICES[reason]),
        at=now,
    )
    session.add(notice)
    session.flush()
    delivery.enqueue(session=session, handoff=handoff, message=notice, now=now)
    log.info("handoff %d handed back to the bot (%s)", handoff.id, reason)
    return notice


def close_handoff(*, session: Session, handoff: Handoff, agent: str) -> Handoff:
    """The agent ends the handoff in the console: the citizen is told, and the bot answers again."""
    handoff.assignee = handoff.assignee or agent
    hand_back(session=session, handoff=handoff, reason="agent")
    session.commit()
    return handoff


INBOX_AUTHORS = ("agent", "system")


def inbox(
    *, session: Session, sender: str, key: str | None, after: int = 0, limit: int = 50
) -> Sequence[HandoffMessage] | None:
    """Agent replies and hand-back notices newer than `after` (the last id the widget has shown) in this sender's
    handoffs under `key`, oldest first; None when the key opens none of them. What it returns counts as delivered."""
    ids = _keyed_ids(session, sender=sender, key=key) if key else []
    if not ids:
        return None
    stmt = (
        select(HandoffMessage)
        .where(HandoffMessage.sender == sender, HandoffMessage.author.in_(INBOX_AUTHORS), HandoffMessage.id > after)
        .where(HandoffMessage.handoff_id.in_(ids))
        .order_by(HandoffMessage.id)
        .limit(limit)
    )
    rows = session.scalars(stmt).all()
    if rows and delivery.picked_up(session=session, message_ids=[m.id for m in rows]):
        session.commit()
    return rows
