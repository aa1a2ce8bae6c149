"""Tables of handoffs, their messages, chat-turn outcomes and alias proposals (same database as the cases)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.cases.models import Base, UTCDateTime
from api.cases.workdays import utcnow


class Handoff(Base):
    """A conversation the bot handed to a person; status open → answered → closed."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_created", "status", "created_at"),)
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
    messages: Mapped[list[HandoffMessage]] = relationship(order_by="HandoffMessage.id", back_populates="handoff")


class HandoffMessage(Base):
    """One line of a handoff: the transcript (user/bot) and the agent's replies; `sender` is copied for the inbox."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_sender_author_id", "sender", "author", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), nullable=False, index=True)
    sender: Mapped[str] = mapped_column(String(128), nullable=False)
    author: Mapped[str] = mapped_column(String(8), nullable=False)  # user | bot | agent
    agent: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    handoff: Mapped[Handoff] = relationship(back_populates="messages")


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
