"""Per-answer feedback (有用 / 没用 / 没找到): one row per chat turn and sender, a second tap replaces the first.

The row copies what the console shows from the turn it rates (api/handoff/models.ChatTurn): the question as it
was stored (normalised and masked) and the answer given (the reply's kind and entry id).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.chat.schemas import ChatMeta
from api.core.clock import utcnow
from api.core.db import Base, Database, UTCDateTime
from api.handoff.models import ChatTurn

log = logging.getLogger(__name__)

Value = Literal["useful", "not_useful", "not_found"]
VALUES: tuple[Value, ...] = get_args(Value)
# replies a citizen is asked to rate: an answer with an entry behind it (not a "which one?", a refusal, the
# complaint form or a handoff, which have their own outcomes)
RATED_KINDS = frozenset({"guide", "bundle", "window"})
# how the channels carry a feedback choice among the numbered choices / inline buttons (≤ 64 bytes for Telegram)
PAYLOAD_PREFIX = "/feedback"


class AnswerFeedback(Base):
    """What one citizen said about one answer; `question`, `route_kind`, `route_id` are the rated turn's."""

    __tablename__ = "answer_feedback"
    __table_args__ = (
        UniqueConstraint("turn_id", "sender", name="uq_answer_feedback_turn_id"),
        Index("ix_answer_feedback_value_updated", "value", "updated_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("chat_turns.id", ondelete="CASCADE"), nullable=False)
    sender: Mapped[str] = mapped_column(String(128), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[str] = mapped_column(String(16), nullable=False)  # useful | not_useful | not_found
    question: Mapped[str] = mapped_column(String(500), nullable=False)
    route_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    route_id: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


def rateable(meta: ChatMeta) -> bool:
    """Whether a reply gets the 有用 / 没用 / 没找到 buttons (or the numbered line on WeChat)."""
    return meta.route.kind in RATED_KINDS and meta.handoff_state is None


def record(*, session: Session, turn_id: int, sender: str, value: Value) -> AnswerFeedback | None:
    """Stores (or replaces) `sender`'s feedback on their own turn and commits; None when no such turn is theirs."""
    if value not in VALUES:
        raise ValueError(f"unknown feedback value {value!r}")
    turn = session.scalar(select(ChatTurn).where(ChatTurn.id == turn_id, ChatTurn.sender == sender[:128]))
    if turn is None:
        return None
    for _ in range(2):  # two taps racing to insert: the loser updates the winner's row
        row = session.scalar(
            select(AnswerFeedback).where(AnswerFeedback.turn_id == turn.id, AnswerFeedback.sender == turn.sender)
        )
        now = utcnow()
        if row is None:
            row = AnswerFeedback(
                turn_id=turn.id,
                sender=turn.sender,
                channel=turn.channel,
                value=value,
                question=turn.text,
                route_kind=turn.route_kind,
                route_id=turn.route_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        else:
            row.value, row.updated_at = value, now
        try:
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
    return None


def record_best_effort(db: Database | None, *, turn_id: int, sender: str, value: Value) -> bool:
    """The same for callers without a session; False when the turn is not the sender's or the database failed."""
    try:
        if db is None or not db.ready:
            return False
        with db.sessions() as session:
            return record(session=session, turn_id=turn_id, sender=sender, value=value) is not None
    except Exception:
        log.exception("could not record answer feedback")
        return False


def payload(turn_id: int, value: Value) -> str:
    """The choice payload a channel stores for one feedback button, e.g. /feedback{"turn":12,"value":"useful"}."""
    return PAYLOAD_PREFIX + json.dumps({"turn": turn_id, "value": value}, separators=(",", ":"))


def parse_payload(text: str) -> tuple[int, Value] | None:
    """(turn id, value) of a feedback payload; None for anything else (a question, another button)."""
    if not text.startswith(PAYLOAD_PREFIX + "{"):
        return None
    try:
        data = json.loads(text[len(PAYLOAD_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    turn, value = data.get("turn"), data.get("value")
    if not isinstance(turn, int) or isinstance(turn, bool) or turn < 1 or value not in VALUES:
        return None
    return turn, value
