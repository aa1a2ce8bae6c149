"""Tables of handoffs, their messages, chat-turn outcomes and alias proposals (same database as the cases)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.core.clock import utcnow
from api.core.db import Base, UTCDateTime

# one handoff that is not closed per sender (0005_handoff_mode): a second 转人工 gets the open one back
OPEN_ONLY = text("status != 'closed'")


class Handoff(Base):
    """A conversation the bot handed to a person; status open → answered → closed. While it is not closed the bot
    stays quiet for its sender (api/handoff/mode.py)."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_created", "status", "created_at"),
        Index("uq_handoffs_open_sender", "sender", unique=True, sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    assignee: Mapped[str | None] = mapped_column(String(64))
    # sha256 of the inbox key the widget got when its chat turn opened the handoff (api/handoff/service.issue_key)
    key_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    agent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last agent reply: the timeout counts from it
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last "passed on" acknowledgement
    closed_reason: Mapped[str | None] = mapped_column(String(16))  # agent | timeout
    # the platform user id (openid, Telegram chat id) to reply to, AES-GCM under a key derived from SECRET_KEY
    # (api/handoff/address.py); set by the channel adapter, wiped once the handoff is closed and delivered
    address: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[list[HandoffMessage]] = relationship(order_by="HandoffMessage.id", back_populates="handoff")


class HandoffMessage(Base):
    """One line of a handoff: the transcript (user/bot) and the agent's replies; `sender` is copied for the inbox."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_sender_author_id", "sender", "author", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), nullable=False, index=True)
    sender: Mapped[str] = mapped_column(String(128), nullable=False)
    author: Mapped[str] = mapped_column(String(8), nullable=False)  # user | bot | agent | system (hand-back notice)
    agent: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    handoff: Mapped[Handoff] = relationship(back_populates="messages")
    delivery: Mapped[HandoffDelivery | None] = relationship(back_populates="message", uselist=False)


class HandoffDelivery(Base):
    """The outbox of agent replies and hand-back notices: pushed on WeChat / the mini-program / Telegram with
    retries, or picked up by the widget's inbox poll; pending → sent, or failed after the last attempt."""

    __tablename__ = "handoff_deliveries"
    __table_args__ = (Index("ix_handoff_deliveries_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("handoff_messages.id"), nullable=False, unique=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # a long reply goes out as several messages: the ones already through are not sent again on a retry
    parts_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    message: Mapped[HandoffMessage] = relationship(back_populates="delivery")


class ChatTurn(Base):
    """Outcome of one citizen turn, for the figures and the knowledge gaps; the text is normalised and masked."""

    __tablename__ = "chat_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    sender: Mapped[str] = mapped_column(String(128), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    route_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    route_id: Mapped[str | None] = mapped_column(String(100))
    confident: Mapped[bool] = mapped_column(Boolean, nullable=False)
    degraded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class AliasProposal(Base):
    """'Add this question as an alias of X': a review list for the content team; the guides stay files."""

    __tablename__ = "alias_proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200), nullable=False)
    entry_id: Mapped[str] = mapped_column(String(100), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    proposed_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
