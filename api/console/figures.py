"""The figures supervisors look at, computed from chat turns, cases and ratings in one pass each."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cases.config import CaseConfig
from api.cases.models import Case, Rating, TimelineEvent
from api.cases.service import overdue_condition
from api.cases.states import Status
from api.chat.feedback import AnswerFeedback
from api.core import wording
from api.core.clock import CHINA_TZ, china_today, utcnow
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
    helpful: list[HelpfulRate] = field(default_factory=list)  # per entry, worst first (helpful_rates)
    work_orders: WorkOrderRates | None = None  # 按期办结率, 回访满意率, 重办率 (work_order_rates)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.turns if self.turns else None

    @property
    def on_time_rate(self) -> float | None:
        return self.replied_on_time / self.reply_due if self.reply_due else None


@dataclass
class HelpfulRate:
    """Feedback on one entry's answers: 有用 / (有用 + 没用 + 没找到)."""

    entry_id: str
    name: str
    useful: int
    not_useful: int
    not_found: int

    @property
    def total(self) -> int:
        return self.useful + self.not_useful + self.not_found

    @property
    def rate(self) -> float:
        return self.useful / self.total if self.total else 0.0


def helpful_rates(*, session: Session, cat: Catalogue, since: datetime) -> list[HelpfulRate]:
    """Per entry, worst first: the lowest rate, and of equal rates the one most citizens rated."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for route_id, value, n in session.execute(
        select(AnswerFeedback.route_id, AnswerFeedback.value, func.count())
        .where(AnswerFeedback.updated_at >= since, AnswerFeedback.route_id.is_not(None))
        .group_by(AnswerFeedback.route_id, AnswerFeedback.value)
    ):
        if route_id is not None:  # the query leaves those out; this is for the type checker
            counts[cat.resolve(route_id)][value] += int(n)  # an alias entry's turns count for the item it names
    rates = []
    for entry_id, c in counts.items():
        entry = cat.get(entry_id)
        name = entry.name if entry else entry_id
        rates.append(HelpfulRate(entry_id, name, c["useful"], c["not_useful"], c["not_found"]))
    return sorted(rates, key=lambda r: (r.rate, -r.total, r.entry_id))


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
            asked[cat.resolve(route_id)] += 1
    channels = sorted({c for c, _ in senders})
    per_channel_day = {c: [len(senders.get((c, d), ())) for d in day_list] for c in channels}
    top_items: list[tuple[str, float]] = []
    for entry_id, n in asked.most_common(10):
        entry = cat.get(entry_id)
        top_items.append((entry.name if entry else entry_id, float(n)))

    names = {c.code: c.name for c in config.categories}
    by_cat = session.execute(
        select(Case.category, func.count()).where(Case.duplicate_of_id.is_(None)).group_by(Case.category)
    ).all()
    complaints = sorted(((names.get(code, code), float(n)) for code, n in by_cat), key=lambda r: -r[1])

    # 按期回复率: replied cases answered by the end of their deadline day, over those plus the ones now overdue;
    # a duplicate merged into another case counts once, as that case
    on_time = due = 0
    for deadline, replied_at in session.execute(
        select(Case.deadline, Case.replied_at).where(Case.replied_at.is_not(None), Case.duplicate_of_id.is_(None))
    ):
        due += 1
        on_time += replied_at is not None and _china_day(replied_at) <= deadline
    due += session.scalar(select(func.count()).select_from(Case).where(overdue_condition(today))) or 0
    score_names = wording.table("console", "figures.scores")
    counts = dict(
        session.execute(
            select(Rating.score, func.count())
            .join(Case, Case.id == Rating.case_id)
            .where(Case.duplicate_of_id.is_(None))
            .group_by(Rating.score)
        ).all()
    )
    ratings = [(score_names[str(s)], float(counts.get(s, 0))) for s in range(5, 0, -1)] if counts else []
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
        helpful=helpful_rates(session=session, cat=cat, since=since),
        work_orders=work_order_rates(session=session, today=today),
    )


def generated_at() -> datetime:
    return utcnow()


@dataclass
class WorkOrderRates:
    """The 12345 assessment figures over every case but merged duplicates (counted once, as their main case)."""

    closed_on_time: int  # 已办结, answered by the end of the deadline day (the last one: 督办 and 延期 move it)
    closed_due: int  # 已办结, plus the open cases already past their deadline
    satisfied: int  # cases whose last 回访 (a citizen's rating on any channel, or an agent's record) is ≥ 3
    visited: int  # cases with a 回访
    reopened: int  # cases a 不满意 ever sent back to 督办
    replied: int  # cases ever answered

    @property
    def closed_on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed_due if self.closed_due else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.visited if self.visited else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.replied if self.replied else None


def work_order_rates(*, session: Session, today: date) -> WorkOrderRates:
    """按期办结率, 回访满意率 and 重办率, one query each."""
    main = Case.duplicate_of_id.is_(None)
    closed_on_time = closed = 0
    for deadline, replied_at in session.execute(
        select(Case.deadline, Case.replied_at).where(main, Case.status == Status.CLOSED.value)
    ):
        closed += 1
        closed_on_time += replied_at is not None and _china_day(replied_at) <= deadline
    overdue = session.scalar(select(func.count()).select_from(Case).where(overdue_condition(today))) or 0
    last = (
        select(Rating.case_id, func.max(Rating.id).label("last_id"))
        .join(Case, Case.id == Rating.case_id)
        .where(main)
        .group_by(Rating.case_id)
        .subquery()
    )
    visited = satisfied = 0
    for (score,) in session.execute(select(Rating.score).join(last, Rating.id == last.c.last_id)):
        visited += 1
        satisfied += score >= 3
    reopened = (
        session.scalar(
            select(func.count(func.distinct(TimelineEvent.case_id)))
            .join(Case, Case.id == TimelineEvent.case_id)
            .where(main, TimelineEvent.kind == "reopened")
        )
        or 0
    )
    replied = session.scalar(select(func.count()).select_from(Case).where(main, Case.replied_at.is_not(None))) or 0
    return WorkOrderRates(
        closed_on_time=closed_on_time,
        closed_due=closed + overdue,
        satisfied=satisfied,
        visited=visited,
        reopened=reopened,
        replied=replied,
    )
