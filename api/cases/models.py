"""Tables of the case system; rows of `timeline_events`, `ratings` and `cases` are never deleted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.accounts.models import StaffUser
from api.core.clock import utcnow
from api.core.db import Base, UTCDateTime


class CaseCounter(Base):
    """One row per day (Beijing time); the row lock makes case numbers unique under concurrency."""

    __tablename__ = "case_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key", name="uq_cases_channel_idempotency_key"),
        Index("ix_cases_status_deadline", "status", "deadline"),
        Index("ix_cases_phone", "phone"),  # 0008_work_orders: a caller's history by number
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    item_id: Mapped[str | None] = mapped_column(String(100))
    window_id: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    reply: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(255))
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0008_work_orders: the 12345 work order around the complaint
    request_type: Mapped[str | None] = mapped_column(String(16))  # 诉求类型 code (categories.yml request_types)
    caller_name: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(128), index=True)  # the chat sender who filed it, if any
    dispatched_by: Mapped[str | None] = mapped_column(String(80))  # the actor of the last 派单: 退回 goes back there
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    extension_days: Mapped[int | None] = mapped_column(Integer)  # a 延期 request waiting for a supervisor
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_by: Mapped[str | None] = mapped_column(String(80))
    overdue_noted: Mapped[date | None] = mapped_column(Date)  # the 督办 deadline whose passing is on the timeline

    timeline: Mapped[list[TimelineEvent]] = relationship(order_by="TimelineEvent.id", back_populates="case")
    ratings: Mapped[list[Rating]] = relationship(order_by="Rating.id")
    assignee: Mapped[StaffUser | None] = relationship()
    duplicate_of: Mapped[Case | None] = relationship(remote_side="Case.id", foreign_keys=[duplicate_of_id])


class TimelineEvent(Base):
    """Append-only audit trail: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "timeline_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    case: Mapped[Case] = relationship(back_populates="timeline")


class Rating(Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # 0008_work_orders: "citizen" (a rating on any channel) or "visit" (an agent's 回访 record, `by` who called)
    via: Mapped[str] = mapped_column(String(16), nullable=False, default="citizen", server_default="citizen")
    by: Mapped[str | None] = mapped_column(String(80))


class CallerLookup(Base):
    """Who searched a caller's history by which (masked) number or case number, and when: the search is audited."""

    __tablename__ = "caller_lookups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    phone_masked: Mapped[str] = mapped_column(String(32), nullable=False)
    case_no: Mapped[str | None] = mapped_column(String(32))  # when searched by case number
    found: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Outbox(Base):
    """Events waiting for the external work-order system; retry state survives restarts."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "delivered_at", "dead_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
