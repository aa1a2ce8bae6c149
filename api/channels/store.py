"""Database state shared by gateway replicas: de-duplication of retried pushes and pending numbered choices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from api.chat.schemas import Button
from api.core.clock import utcnow
from api.core.db import Base, UTCDateTime

# States of one inbound message. pending: a replica runs the turn; ready: the answer waits to be returned
# passively; async: the first request answered "success", the answer goes out through the send API; sent: done.
PENDING, READY, ASYNC, SENT = "pending", "ready", "async", "sent"


class ChannelInbox(Base):
    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbox_channel_key"),
        Index("ix_channel_inbox_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(160), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    reply: Mapped[str | None] = mapped_column(Text)  # JSON list of text chunks
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ChannelChoice(Base):
    __tablename__ = "channel_choices"
    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    choices: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of {"title", "payload"}
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class InboxRow:
    state: str
    chunks: list[str] | None


def claim(*, sessions: Sessions, channel: str, key: str) -> bool:
    """True for the one request (on any replica) that inserted the row and so runs the turn."""
    with sessions() as session:
        session.add(ChannelInbox(channel=channel, dedupe_key=key, state=PENDING))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def _move(*, sessions: Sessions, channel: str, key: str, to: str, chunks: list[str] | None = None) -> bool:
    """Compare-and-set from pending: exactly one of the answering task and the timed-out request wins."""
    values: dict[str, object] = {"state": to, "updated_at": utcnow()}
    if chunks is not None:
        values["reply"] = json.dumps(chunks, ensure_ascii=False)
    with sessions() as session:
        result = session.execute(
            update(ChannelInbox)
            .where(ChannelInbox.channel == channel, ChannelInbox.dedupe_key == key, ChannelInbox.state == PENDING)
            .values(**values)
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0))


def take_over(*, sessions: Sessions, channel: str, key: str, older_than: timedelta) -> bool:
    """A row still pending long after the first request's deadline means that replica died mid-turn: a retry
    takes the message over (compare-and-set on updated_at, so only one retry does)."""
    now = utcnow()
    with sessions() as session:
        result = session.execute(
            update(ChannelInbox)
            .where(
                ChannelInbox.channel == channel,
                ChannelInbox.dedupe_key == key,
                ChannelInbox.state == PENDING,
                ChannelInbox.updated_at < now - older_than,
            )
            .values(updated_at=now)
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0))


def set_ready(*, sessions: Sessions, channel: str, key: str, chunks: list[str]) -> bool:
    return _move(sessions=sessions, channel=channel, key=key, to=READY, chunks=chunks)


def set_async(*, sessions: Sessions, channel: str, key: str) -> bool:
    return _move(sessions=sessions, channel=channel, key=key, to=ASYNC)


def set_sent(*, sessions: Sessions, channel: str, key: str, chunks: list[str]) -> None:
    with sessions() as session:
        session.execute(
            update(ChannelInbox)
            .where(ChannelInbox.channel == channel, ChannelInbox.dedupe_key == key)
            .values(state=SENT, reply=json.dumps(chunks, ensure_ascii=False), updated_at=utcnow())
        )
        session.commit()


def get(*, sessions: Sessions, channel: str, key: str) -> InboxRow | None:
    with sessions() as session:
        row = session.execute(
            select(ChannelInbox.state, ChannelInbox.reply).where(
                ChannelInbox.channel == channel, ChannelInbox.dedupe_key == key
            )
        ).first()
    if row is None:
        return None
    return InboxRow(state=row[0], chunks=json.loads(row[1]) if row[1] else None)


def prune(*, sessions: Sessions, older_than: timedelta) -> int:
    with sessions() as session:
        cutoff = utcnow() - older_than
        result = session.execute(delete(ChannelInbox).where(ChannelInbox.created_at < cutoff))
        session.execute(delete(ChannelChoice).where(ChannelChoice.updated_at < cutoff))
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)


def save_choices(*, sessions: Sessions, sender: str, choices: list[Button]) -> None:
    """The numbers always refer to the last answer: new buttons replace old ones, an answer without clears them."""
    with sessions() as session:
        row = session.get(ChannelChoice, sender)
        if not choices:
            if row is not None:
                session.delete(row)
                session.commit()
            return
        data = json.dumps([b.model_dump() for b in choices], ensure_ascii=False)
        if row is None:
            session.add(ChannelChoice(sender=sender, choices=data))
        else:
            row.choices, row.updated_at = data, utcnow()
        try:
            session.commit()
        except IntegrityError:  # the same user's two messages raced; the later answer wins next time
            session.rollback()


def load_choices(*, sessions: Sessions, sender: str, max_age: timedelta) -> list[Button]:
    with sessions() as session:
        row = session.get(ChannelChoice, sender)
        if row is None or row.updated_at < utcnow() - max_age:
            return []
        return [Button(**b) for b in json.loads(row.choices)]
