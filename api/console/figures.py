"""The figures supervisors look at, computed from chat turns, cases and ratings in one pass each."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cases.config import CaseConfig
from api.cases.models import Case, Rating
from api.cases.states import OVERDUE_CANDIDATES
from api.cases.workdays import CHINA_TZ, china_today, utcnow
from api.handoff.models import ChatTurn
from index.catalogue import Catalogue

ANSWERED_KINDS = ("guide", "bundle", "window", "complaint")


@dataclass
class Figures:
    days: list[str]
    per_channel_day: dict[str, list[int]]
    top_items: list[tuple[str, float]]
    turns: int
    answered: int
    complaints_by_category: list[tuple[str, float]]
    replied_on_time: int
    reply_due: int
    ratings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.turns if self.turns else None

    @property
    def on_time_rate(self) -> float | None:
        return self.replied_on_time / self.reply_due if self.reply_due else None


def _china_day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def compute(*, session: Session, cat: Catalogue, config: CaseConfig, days: int = 14) -> Figures:
    """Conversations are distinct senders per channel and day; a turn is answered when routed with confidence."""
    today = china_today()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=CHINA_TZ)
    day_list = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    senders: dict[tuple[str, str], set[str]] = defaultdict(set)
    asked: Counter[str] = Counter()
    turns = answered = 0
    for at, sender, channel, kind, route_id, confident in session.execute(
        select(
            ChatTurn.at, ChatTurn.sender, ChatTurn.channel, ChatTurn.route_kind, ChatTurn.route_id, ChatTurn.confident
        ).where(ChatTurn.at >= since)
    ):
        turns += 1
        senders[(channel, _china_day(at).isoformat())].add(sender)
        if confident and kind in ANSWERED_KINDS:
            answered += 1
        if route_id and kind in ("guide", "bundle", "window"):
            asked[route_id] += 1
    channels = sorted({c for c, _ in senders})
    per_channel_day = {c: [len(senders.get((c, d), ())) for d in day_list] for c in channels}
    top_items: list[tuple[str, float]] = []
    for entry_id, n in asked.most_common(10):
        entry = cat.get(entry_id)
        top_items.append((entry.name if entry else entry_id, float(n)))

    names = {c.code: c.name for c in config.categories}
    by_cat = session.execute(select(Case.category, func.count()).group_by(Case.category)).all()
    complaints = sorted(((names.get(code, code), float(n)) for code, n in by_cat), key=lambda r: -r[1])

    # 按期回复率: replied cases answered by the end of their deadline day, over those plus the ones now overdue
    on_time = due = 0
    for deadline, replied_at in session.execute(
        select(Case.deadline, Case.replied_at).where(Case.replied_at.is_not(None))
    ):
        due += 1
        on_time += replied_at is not None and _china_day(replied_at) <= deadline
    due += (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.status.in_([s.value for s in OVERDUE_CANDIDATES]), Case.deadline < today)
        )
        or 0
    )
    score_names = {1: "1 非常不满意", 2: "2 不满意", 3: "3 基本满意", 4: "4 满意", 5: "5 非常满意"}
    counts = dict(session.execute(select(Rating.score, func.count()).group_by(Rating.score)).all())
    ratings = [(score_names[s], float(counts.get(s, 0))) for s in range(5, 0, -1)] if counts else []
    return Figures(
        days=day_list,
        per_channel_day=per_channel_day,
        top_items=top_items,
        turns=turns,
        answered=answered,
        complaints_by_category=complaints,
        replied_on_time=on_time,
        reply_due=due,
        ratings=ratings,
    )


def generated_at() -> datetime:
    return utcnow()
