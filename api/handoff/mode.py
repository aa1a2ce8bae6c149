"""Handoff mode: while a person has a sender's conversation the bot stays quiet and the words go to the agent.

`hold` is asked before every turn reaches Rasa, on every channel (api/chat/recording.py is the one chat path the
widget, /api/chat, WeChat, the mini-program and Telegram go through). The rules are small pure functions; the
wording is in api/wording/chat.yml (section `handoff`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.chat.content import Messages
from api.core.clock import utcnow
from api.handoff import service
from api.handoff.models import Handoff, HandoffMessage
from api.settings import Settings

log = logging.getLogger(__name__)

HUMAN_PAYLOAD = "/request_human"  # the 转人工 button (api/chat/service.py, the widget, the bot's buttons)
Say = Literal["passed_on", "already_waiting"]  # chat.yml keys under `handoff`


@dataclass(frozen=True)
class Policy:
    timeout: timedelta  # without an agent reply for this long, the conversation goes back to the bot
    ack_every: timedelta  # at most one "passed on" acknowledgement per this interval
    human_words: tuple[str, ...]  # asking for a person again

    @classmethod
    def from_settings(cls, settings: Settings, messages: Messages) -> Policy:
        return cls(
            timeout=timedelta(minutes=settings.handoff_timeout_min),
            ack_every=timedelta(minutes=settings.handoff_ack_every_min),
            human_words=tuple(messages.text("handoff", "human_words").split()),
        )


@dataclass(frozen=True)
class Held:
    """The turn went to the agent's thread instead of the bot; `say` is what the citizen is told, if anything."""

    handoff_id: int
    say: Say | None


def asks_for_a_person(text: str, words: tuple[str, ...]) -> bool:
    stripped = text.strip()
    return stripped == HUMAN_PAYLOAD or any(w in stripped for w in words)


def idle_since(handoff: Handoff) -> datetime:
    """The timeout counts from the last agent reply, or from the opening when nobody has replied yet."""
    return handoff.agent_at or handoff.created_at


def timed_out(handoff: Handoff, now: datetime, timeout: timedelta) -> bool:
    return now - idle_since(handoff) >= timeout


def ack_due(handoff: Handoff, now: datetime, every: timedelta) -> bool:
    return handoff.acked_at is None or now - handoff.acked_at >= every


def hold(
    *,
    session: Session,
    sender: str,
    channel: str,
    text: str,
    key: str | None,
    policy: Policy,
    shown_as: str,
    now: datetime | None = None,
) -> Held | None:
    """None: the bot answers. Otherwise the words joined the open handoff's thread and the handoff went back to
    `open` (待回复). A widget's turn is held only with that handoff's key (knowing a sender id is not enough); a
    handoff past its timeout is handed back here too, so a late background pass never keeps the bot quiet."""
    now = now or utcnow()
    handoff = service.open_for(session=session, sender=sender)
    if handoff is None:
        return None
    if channel in service.KEYED_CHANNELS and not service.holds_key(handoff, key):
        return None
    if timed_out(handoff, now, policy.timeout):
        service.hand_back(session=session, handoff=handoff, reason="timeout", now=now)
        session.commit()
        return None
    again = asks_for_a_person(text, policy.human_words)
    line = shown_as if text.strip() == HUMAN_PAYLOAD else text
    session.add(
        HandoffMessage(
            handoff_id=handoff.id, sender=sender, author="user", text=line[: service.MAX_FOLLOW_UP_CHARS], at=now
        )
    )
    handoff.status = "open"
    handoff.updated_at = now
    say: Say | None = None
    if again:
        say = "already_waiting"
    elif ack_due(handoff, now, policy.ack_every):
        say = "passed_on"
    if say is not None:
        handoff.acked_at = now
    session.commit()
    return Held(handoff_id=handoff.id, say=say)


def expire_idle(*, session: Session, timeout: timedelta, now: datetime | None = None, limit: int = 100) -> list[int]:
    """The background pass: hand every handoff idle past the timeout back to the bot, with its notice."""
    now = now or utcnow()
    cutoff = now - timeout
    stmt = (
        select(Handoff)
        .where(Handoff.status != "closed", func.coalesce(Handoff.agent_at, Handoff.created_at) <= cutoff)
        .order_by(Handoff.id)
        .limit(limit)
    )
    handed = []
    for handoff in session.scalars(stmt).all():
        if service.hand_back(session=session, handoff=handoff, reason="timeout", now=now) is not None:
            handed.append(handoff.id)
    session.commit()
    return handed
