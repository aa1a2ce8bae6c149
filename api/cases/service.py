"""Keyword-only data functions: every change to a case goes through here, with its timeline entry and outbox event."""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts.models import StaffUser
from api.cases import states
from api.cases.config import CaseConfig, default_config
from api.cases.models import Case, CaseCounter, Outbox, Rating, TimelineEvent
from api.cases.phone import last4, mask_phone
from api.cases.schemas import CaseCreate
from api.cases.states import OVERDUE_CANDIDATES, RATEABLE, IllegalTransition, Status, check_transition
from api.core import wording
from api.core.clock import CHINA_TZ, add_working_days, china_today, utcnow
from civic.privacy import mask_personal

log = logging.getLogger(__name__)
SYSTEM = "system"
CITIZEN = "citizen"


class UnknownCategory(ValueError):
    """The category code is not in the configured list; the API answers 422."""


class UnknownRequestType(ValueError):
    """The 诉求类型 code is not in categories.yml's request_types; the console answers 422."""


def next_case_no(*, session: Session, now: datetime | None = None) -> str:
    """YS20261128-000123: an upsert on the day's counter row is atomic on both SQLite and PostgreSQL."""
    day = china_today(now).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(CaseCounter) if dialect == "postgresql" else sqlite.insert(CaseCounter)
    stmt = (
        ins.values(day=day, value=1)
        .on_conflict_do_update(index_elements=[CaseCounter.day], set_={"value": CaseCounter.value + 1})
        .returning(CaseCounter.value)
    )
    value = session.execute(stmt).scalar_one()
    return f"YS{day}-{value:06d}"


def status_name(status: str | None) -> str | None:
    return states.status_name(Status(status)) if status else None


def public_note(actor: str, note: str | None) -> str | None:
    """What the citizen wrote (a rating's comment) leaves masked like the story; staff's words leave as written."""
    return mask_personal(note) if note and actor == CITIZEN else note


def _case_snapshot(case: Case) -> dict[str, object]:
    """The case as the work-order system receives it: the story and the phone masked (staff reveal them, audited)."""
    return {
        "case_no": case.case_no,
        "category": case.category,
        "status": case.status,
        "deadline": case.deadline.isoformat(),
        "department": case.department,
        "channel": case.channel,
        "item_id": case.item_id,
        "window_id": case.window_id,
        "description": mask_personal(case.description),
        "phone_masked": mask_phone(case.phone),
        "request_type": case.request_type,
        "duplicate_of": case.duplicate_of.case_no if case.duplicate_of is not None else None,
    }


def record_event(
    *,
    session: Session,
    case: Case,
    config: CaseConfig,
    actor: str,
    kind: str,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    public: bool = True,
) -> TimelineEvent:
    """Append to the timeline and, when forwarding is on, to the outbox in the same transaction."""
    now = utcnow()
    event = TimelineEvent(
        case=case,  # also on a timeline already loaded in this session
        case_id=case.id,
        at=now,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=to_status,
        public=public,
    )
    session.add(event)
    case.updated_at = now
    if config.forwarding_enabled:
        event_id = str(uuid.uuid4())
        payload = {
            "id": event_id,
            "type": kind,
            "occurred_at": now.isoformat(),
            "actor": actor,
            "from_status": from_status,
            "to_status": to_status,
            "note": public_note(actor, note) if public else None,
            "case": _case_snapshot(case),
        }
        session.add(
            Outbox(
                event_id=event_id,
                case_id=case.id,
                event_type=kind,
                payload=json.dumps(payload, ensure_ascii=False),
                created_at=now,
                next_attempt_at=now,
                attempts=0,
            )
        )
    return event


def create_case(
    *, session: Session, case_in: CaseCreate, config: CaseConfig | None = None, actor: str = CITIZEN
) -> Case:
    """File a complaint; the same (channel, idempotency_key) returns the case filed the first time. `actor` is the
    agent for a case filed at the hotline, so its timeline starts with who took the call."""
    config = config or default_config()
    category = config.category(case_in.category)
    if category is None:
        raise UnknownCategory(case_in.category)
    if case_in.request_type is not None and config.request_type(case_in.request_type) is None:
        raise UnknownRequestType(case_in.request_type)
    if case_in.idempotency_key:
        existing = _by_idempotency_key(session, case_in.channel, case_in.idempotency_key)
        if existing is not None:
            return existing
    now = utcnow()
    try:
        case = Case(
            case_no=next_case_no(session=session, now=now),
            category=category.code,
            description=case_in.description,
            item_id=case_in.item_id,
            window_id=case_in.window_id,
            channel=case_in.channel,
            idempotency_key=case_in.idempotency_key,
            phone=case_in.phone,
            status=Status.RECEIVED.value,
            deadline=add_working_days(china_today(now), category.sla_days),
            address=case_in.address,
            lat=case_in.lat,
            long=case_in.long,
            request_type=case_in.request_type,
            caller_name=case_in.caller_name,
            sender=case_in.sender,
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        record_event(
            session=session,
            case=case,
            config=config,
            actor=actor,
            kind="created",
            to_status=case.status,
            note=wording.say("cases", "notes.created", deadline=case.deadline.isoformat()),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        if case_in.idempotency_key:  # lost a race with the same retry on PostgreSQL: hand back the winner
            existing = _by_idempotency_key(session, case_in.channel, case_in.idempotency_key)
            if existing is not None:
                return existing
        raise
    log.info("case %s filed via %s, category %s", case.case_no, case.channel, case.category)
    return case


def _by_idempotency_key(session: Session, channel: str, key: str) -> Case | None:
    return session.scalar(select(Case).where(Case.channel == channel, Case.idempotency_key == key))


def get_case(*, session: Session, case_no: str, for_update: bool = False) -> Case | None:
    stmt = select(Case).where(Case.case_no == case_no)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def get_case_for_citizen(*, session: Session, case_no: str, phone_last4: str) -> Case | None:
    """A wrong phone and an unknown number both give None, so the API cannot be used to probe case numbers."""
    case = get_case(session=session, case_no=case_no)
    expected = last4(case.phone) if case is not None else "\x00" * 4
    ok = hmac.compare_digest(expected.encode(), phone_last4.encode())
    return case if ok and case is not None else None


def is_overdue(case: Case, today: date | None = None) -> bool:
    """Past the deadline in any open status, 督办 included; a duplicate waits on its main case and has no clock."""
    return (
        case.duplicate_of_id is None
        and Status(case.status) in OVERDUE_CANDIDATES
        and (today or china_today()) > case.deadline
    )


def move(
    *,
    session: Session,
    case: Case,
    config: CaseConfig,
    target: Status,
    actor: str,
    kind: str,
    note: str | None,
    public: bool = True,
    today: date | None = None,
) -> None:
    """One legal step of the state machine with its timeline line (and outbox event); the caller commits. `today`
    is the scheduler's day for 督办's new deadline (the overdue pass may run for a given day)."""
    current = Status(case.status)
    check_transition(current, target)
    now = utcnow()
    case.status = target.value
    if target is Status.SUPERVISED:
        case.deadline = add_working_days(today or china_today(now), config.supervise_sla_days)
    if target is Status.REPLIED:
        case.replied_at = now
    if target is Status.CLOSED:
        case.closed_at = now
    record_event(
        session=session,
        case=case,
        config=config,
        actor=actor,
        kind=kind,
        note=note,
        from_status=current.value,
        to_status=target.value,
        public=public,
    )


def transition(
    *,
    session: Session,
    case: Case,
    target: Status,
    actor: str,
    note: str | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """Move a case along the state machine; anything else raises IllegalTransition (409)."""
    move(
        session=session,
        case=case,
        config=config or default_config(),
        target=target,
        actor=actor,
        kind="transition",
        note=note,
    )
    session.commit()
    return case


def reply(*, session: Session, case: Case, text: str, actor: str, config: CaseConfig | None = None) -> Case:
    """The answer the citizen sees; it moves the case to 已答复, and every case merged into it gets it too."""
    config = config or default_config()
    case.reply = text
    move(session=session, case=case, config=config, target=Status.REPLIED, actor=actor, kind="reply", note=text)
    for dup in duplicates_of(session=session, case=case):
        pass_on_reply(session=session, duplicate=dup, main=case, actor=actor, config=config)
    session.commit()
    return case


def duplicates_of(*, session: Session, case: Case) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.duplicate_of_id == case.id).order_by(Case.id)))


def pass_on_reply(*, session: Session, duplicate: Case, main: Case, actor: str, config: CaseConfig) -> None:
    """A merged case's citizen gets the main case's answer, as their own reply (timeline, outbox, 回访), whatever
    status the duplicate was left in; one already answered or closed keeps its own."""
    current = Status(duplicate.status)
    if current in RATEABLE or main.reply is None:
        return
    now = utcnow()
    duplicate.reply = main.reply
    duplicate.status = Status.REPLIED.value
    duplicate.replied_at = now
    record_event(
        session=session,
        case=duplicate,
        config=config,
        actor=actor,
        kind="reply",
        note=main.reply,
        from_status=current.value,
        to_status=Status.REPLIED.value,
    )


def add_note(*, session: Session, case: Case, text: str, actor: str, config: CaseConfig | None = None) -> Case:
    """Internal notes are audited like everything else but never shown to the citizen."""
    record_event(
        session=session, case=case, config=config or default_config(), actor=actor, kind="note", note=text, public=False
    )
    session.commit()
    return case


def assign(*, session: Session, case: Case, actor: str, assignee: StaffUser, config: CaseConfig | None = None) -> Case:
    """经办人 inside the department: an internal line; the department itself changes only by 派单
    (api/cases/workorders.dispatch)."""
    case.assignee_id = assignee.id
    case.assignee = assignee
    record_event(
        session=session,
        case=case,
        config=config or default_config(),
        actor=actor,
        kind="assign",
        note=wording.say("cases", "notes.assigned", name=assignee.display_name or assignee.username),
        public=False,
    )
    session.commit()
    return case


def rate_case(
    *,
    session: Session,
    case: Case,
    score: int,
    comment: str | None,
    config: CaseConfig | None = None,
    visited_by: str | None = None,
) -> Case:
    """好差评 on any channel, or an agent's 回访 record (`visited_by`, the agent's actor): ≤2 reopens the case for a
    supervisor (督办); a good rating of a reply closes it."""
    config = config or default_config()
    current = Status(case.status)
    if current not in RATEABLE:
        raise IllegalTransition(current, current)
    via = "visit" if visited_by else "citizen"
    case.ratings.append(Rating(case_id=case.id, score=score, comment=comment, at=utcnow(), via=via, by=visited_by))
    record_event(
        session=session,
        case=case,
        config=config,
        actor=visited_by or CITIZEN,
        kind="visit" if visited_by else "rating",
        note=wording.say("cases", "notes.rated_comment", score=score, comment=comment)
        if comment
        else wording.say("cases", "notes.rated", score=score),
    )
    if score <= 2:
        move(
            session=session,
            case=case,
            config=config,
            target=Status.SUPERVISED,
            actor=SYSTEM,
            kind="reopened",
            note=wording.say("cases", "notes.reopened"),
        )
    elif current is Status.REPLIED:
        move(
            session=session,
            case=case,
            config=config,
            target=Status.CLOSED,
            actor=SYSTEM,
            kind="transition",
            note=wording.say("cases", "notes.closed_by_rating"),
        )
    session.commit()
    return case


def mark_overdue(*, session: Session, config: CaseConfig | None = None, today: date | None = None) -> list[str]:
    """Every case past its deadline without a reply goes to 督办, with the reason in the timeline; a 督办 case past
    its own deadline gets one line saying so (once per deadline) and shows as overdue until it is answered."""
    config = config or default_config()
    today = today or china_today()
    stmt = (
        select(Case.id)
        .where(
            Case.status.in_([s.value for s in OVERDUE_CANDIDATES]),
            Case.deadline < today,
            Case.duplicate_of_id.is_(None),
        )
        .order_by(Case.id)
    )
    ids = list(session.scalars(stmt))
    session.rollback()
    marked: list[str] = []
    for case_id in ids:
        case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
        if case is None or not is_overdue(case, today):
            session.rollback()
            continue
        if Status(case.status) is Status.SUPERVISED:
            if case.overdue_noted == case.deadline:
                session.rollback()
                continue
            case.overdue_noted = case.deadline
            record_event(
                session=session,
                case=case,
                config=config,
                actor=SYSTEM,
                kind="supervise_overdue",
                note=wording.say("cases", "notes.supervise_overdue", deadline=case.deadline.isoformat()),
            )
        else:
            move(
                session=session,
                case=case,
                config=config,
                target=Status.SUPERVISED,
                actor=SYSTEM,
                kind="overdue",
                note=wording.say("cases", "notes.overdue", deadline=case.deadline.isoformat()),
                today=today,
            )
        session.commit()
        marked.append(case.case_no)
    if marked:
        log.info("marked %d overdue case(s)", len(marked))
    return marked


@dataclass
class CaseFilter:
    status: Status | None = None
    category: str | None = None
    department: str | None = None
    overdue: bool | None = None
    assignee_id: int | None = None


def _filtered(stmt: Select[Case], flt: CaseFilter, today: date) -> Select[Case]:
    if flt.status is not None:
        stmt = stmt.where(Case.status == flt.status.value)
    if flt.category:
        stmt = stmt.where(Case.category == flt.category)
    if flt.department:
        stmt = stmt.where(Case.department == flt.department)
    if flt.assignee_id is not None:
        stmt = stmt.where(Case.assignee_id == flt.assignee_id)
    if flt.overdue is not None:
        cond = overdue_condition(today)
        stmt = stmt.where(cond if flt.overdue else ~cond)
    return stmt


def overdue_condition(today: date) -> ColumnElement[bool]:
    """`is_overdue` as SQL, for lists and figures."""
    open_ = Case.status.in_([s.value for s in OVERDUE_CANDIDATES])
    return open_ & (Case.deadline < today) & Case.duplicate_of_id.is_(None)


def list_cases(*, session: Session, flt: CaseFilter, limit: int = 50, offset: int = 0) -> tuple[Sequence[Case], int]:
    today = china_today()
    base = _filtered(select(Case), flt, today)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.order_by(Case.deadline, Case.id).limit(limit).offset(offset)).all()
    return rows, total


def expected_datetime(case: Case) -> datetime:
    """Deadlines are whole working days: the reply is due by the end of that day, Beijing time."""
    return datetime.combine(case.deadline, datetime.max.time().replace(microsecond=0), tzinfo=CHINA_TZ)
