"""The rules behind the console's 转人工 queue: which lines are the citizen's words, how long they have waited, and the
link from a handoff to the case filed from it. Small pure functions; the console words them (api/console/)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.cases.models import Case
from api.handoff.models import Handoff, HandoffMessage

# a Rasa payload as a button sends it: /intent, /intent{"slot": "value"}, /intent@0.9 (bot/domain, the widget)
_PAYLOAD = re.compile(r"^/[A-Za-z_][\w-]*(\{.*\}|@[\d.]+)?$", re.DOTALL)
CASE_KEY_PREFIX = "handoff-"


def is_payload(text: str) -> bool:
    """A tapped button (`/request_human`), not something the citizen wrote."""
    return bool(_PAYLOAD.match(text.strip()))


def payload_intent(text: str) -> str:
    """`/request_human{"x": 1}` -> `/request_human`: what a button's label is looked up by."""
    stripped = text.strip()
    return re.split(r"[{@]", stripped, maxsplit=1)[0]


def citizen_words(messages: Sequence[HandoffMessage]) -> list[HandoffMessage]:
    """The lines the citizen wrote (not the bot's, the agent's, or a tapped button), oldest first."""
    return [m for m in messages if m.author == "user" and m.text.strip() and not is_payload(m.text)]


def last_words(handoff: Handoff) -> HandoffMessage | None:
    words = citizen_words(handoff.messages)
    return words[-1] if words else None


def waiting_since(handoff: Handoff) -> datetime | None:
    """When the citizen started waiting for a person: the first line of theirs after the last agent reply (the
    opening when nobody has replied yet). None when nobody is waiting (answered, closed)."""
    if handoff.status != "open":
        return None
    last_agent = max((m.at for m in handoff.messages if m.author == "agent"), default=None)
    if last_agent is None:
        return handoff.created_at
    after = [m.at for m in handoff.messages if m.author == "user" and m.at >= last_agent]
    return min(after) if after else handoff.updated_at


def case_key(secret: str, handoff_id: int) -> str:
    """The idempotency key of the case filed from a handoff: keyed with the app's secret, so no outside filing can
    take a handoff's key before it; the same handoff always files (and finds) the same case."""
    mac = hmac.new(secret.encode("utf-8"), f"handoff-case:{handoff_id}".encode(), hashlib.sha256).hexdigest()
    return f"{CASE_KEY_PREFIX}{handoff_id}-{mac[:32]}"


def cases_of(*, session: Session, secret: str, handoff_ids: Sequence[int]) -> dict[int, str]:
    """handoff id -> the number of the case filed from it, for the ones that have one."""
    keys = {case_key(secret, i): i for i in handoff_ids}
    if not keys:
        return {}
    rows = session.execute(select(Case.idempotency_key, Case.case_no).where(Case.idempotency_key.in_(list(keys))))
    return {keys[k]: no for k, no in rows if k in keys}


def queue(*, session: Session, status: str | None = None, limit: int = 100) -> Sequence[Handoff]:
    """Waiting first (longest wait on top), then answered, then closed (newest first), messages loaded at once."""
    stmt = select(Handoff).options(selectinload(Handoff.messages))
    if status:
        stmt = stmt.where(Handoff.status == status)
    rows = session.scalars(stmt.order_by(Handoff.status != "open", Handoff.id.desc()).limit(limit)).all()
    order = {"open": 0, "answered": 1, "closed": 2}

    def key(h: Handoff) -> tuple[int, float]:
        since = waiting_since(h)
        return order.get(h.status, 3), since.timestamp() if since else -h.id

    return sorted(rows, key=key)
