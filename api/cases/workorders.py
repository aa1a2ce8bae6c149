"""The 12345 work order around a case: 派单 → 签收 or 退回, 延期 with approval, 回访, merging duplicates, and a
caller's history. Keyword-only like api/cases/service.py; the console and the staff API both call these, and the
rules of who may do what live here, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts.auth import Role
from api.accounts.models import StaffUser
from api.cases.config import CaseConfig, default_config
from api.cases.departments import Department
from api.cases.models import CallerLookup, Case
from api.cases.phone import mask_phone
from api.cases.service import (
    SYSTEM,
    assign,
    duplicates_of,
    move,
    pass_on_reply,
    rate_case,
    record_event,
    reply,
    transition,
)
from api.cases.states import DEDICATED, RATEABLE, TRANSITIONS, IllegalTransition, Status, check_transition
from api.core import wording
from api.core.clock import add_working_days, utcnow
from api.handoff.models import ChatTurn, Handoff

VISIT_UNREACHED = 0  # an agent's 回访 that reached nobody: a line on the timeline, the case keeps waiting


class NotAllowed(Exception):
    """The user's role or department does not allow this step; the routes answer 403 with the message."""


class BadRequest(ValueError):
    """A step whose details are missing or wrong (no reason, too many days, a case merged into itself): 422."""


def actor_of(user: StaffUser) -> str:
    return f"staff:{user.username}"


def is_supervisor(user: StaffUser) -> bool:
    return Role.parse(user.role) >= Role.SUPERVISOR


def belongs(user: StaffUser, case: Case, config: CaseConfig) -> bool:
    """A member of the case's department (the account's 部门 names it by code, name or alias)."""
    dept = config.departments.find(user.department)
    return dept is not None and case.department == dept.code


Step = Literal["dispatch", "accept", "return", "reply", "extension", "extension_decision", "merge"]


def step_name(step: str) -> str:
    """A work-order step as staff call it (api/wording/cases.yml `work_orders.steps`)."""
    return wording.text("cases", f"work_orders.steps.{step}")


def _for_department(user: StaffUser, case: Case, config: CaseConfig, step: Step) -> None:
    if not (is_supervisor(user) or belongs(user, case, config)):
        department = config.departments.name_of(case.department)
        raise NotAllowed(
            wording.say("cases", "work_orders.refused.department_only", department=department, step=step_name(step))
        )


def check_supervisor(user: StaffUser, step: Step) -> None:
    if not is_supervisor(user):
        raise NotAllowed(wording.say("cases", "work_orders.refused.supervisor_only", step=step_name(step)))


def change_status(
    *, session: Session, case: Case, user: StaffUser, target: Status, note: str | None, config: CaseConfig
) -> Case:
    """改状态 for the moves without their own action; 督办 is a supervisor's, in and out."""
    current = Status(case.status)
    if target is Status.REPLIED:  # an answer needs its text, whatever the status
        raise BadRequest(wording.say("cases", "work_orders.refused.use_reply", step=step_name("reply")))
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    action = DEDICATED.get((current, target))
    if action is not None:
        raise BadRequest(wording.say("cases", "work_orders.refused.use_step", step=step_name(action)))
    if Status.SUPERVISED in (current, target) and not is_supervisor(user):
        raise NotAllowed(wording.text("cases", "work_orders.refused.supervised_move"))
    return transition(session=session, case=case, target=target, actor=actor_of(user), note=note, config=config)


def answer(*, session: Session, case: Case, user: StaffUser, text: str, config: CaseConfig) -> Case:
    """答复 the caller (and every case merged into this one); a 督办 case is answered by a supervisor."""
    if Status(case.status) is Status.SUPERVISED and not is_supervisor(user):
        raise NotAllowed(wording.text("cases", "work_orders.refused.supervised_reply"))
    if not text.strip():
        raise BadRequest(wording.text("cases", "work_orders.refused.reply_empty"))
    return reply(session=session, case=case, text=text.strip(), actor=actor_of(user), config=config)


def set_assignee(*, session: Session, case: Case, user: StaffUser, assignee: StaffUser, config: CaseConfig) -> Case:
    """经办人: the dispatcher, or the department for its own cases."""
    if not (is_supervisor(user) or belongs(user, case, config)):
        raise NotAllowed(wording.text("cases", "work_orders.refused.assign_not_allowed"))
    if not assignee.active:
        raise BadRequest(wording.text("cases", "work_orders.refused.no_assignee"))
    return assign(session=session, case=case, actor=actor_of(user), assignee=assignee, config=config)


def dispatch(
    *,
    session: Session,
    case: Case,
    user: StaffUser,
    department: Department,
    note: str | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """派单: the department must 签收 or 退回; the dispatcher is kept, so a 退回 comes back to them."""
    config = config or default_config()
    check_supervisor(user, "dispatch")
    actor = actor_of(user)
    check_transition(Status(case.status), Status.FORWARDED)
    case.department = department.code  # before the move, so its outbox event names the department
    case.assignee_id = None
    case.dispatched_by = actor
    case.dispatched_at = utcnow()
    case.accepted_at = None
    move(
        session=session,
        case=case,
        config=config,
        target=Status.FORWARDED,
        actor=actor,
        kind="dispatch",
        note=wording.say("cases", "work_orders.notes.dispatched", department=department.name),
    )
    if note:
        record_event(session=session, case=case, config=config, actor=actor, kind="note", note=note, public=False)
    session.commit()
    return case


def accept(*, session: Session, case: Case, user: StaffUser, config: CaseConfig | None = None) -> Case:
    """签收: the department takes the case on; the reply deadline keeps running."""
    config = config or default_config()
    _for_department(user, case, config, "accept")
    if Status(case.status) is not Status.FORWARDED:
        raise IllegalTransition(Status(case.status), Status.IN_PROGRESS)
    move(
        session=session,
        case=case,
        config=config,
        target=Status.IN_PROGRESS,
        actor=actor_of(user),
        kind="accept",
        note=wording.say("cases", "work_orders.notes.accepted", department=config.departments.name_of(case.department)),
    )
    case.accepted_at = utcnow()
    case.assignee_id = user.id if belongs(user, case, config) else case.assignee_id
    session.commit()
    return case


def return_case(
    *, session: Session, case: Case, user: StaffUser, reason: str, config: CaseConfig | None = None
) -> Case:
    """退回: not this department's matter; back to 受理 in the dispatcher's queue, with the reason."""
    config = config or default_config()
    _for_department(user, case, config, "return")
    if not reason.strip():
        raise BadRequest(wording.text("cases", "work_orders.refused.return_reason"))
    if Status(case.status) is not Status.FORWARDED:
        raise IllegalTransition(Status(case.status), Status.RECEIVED)
    dept = config.departments.name_of(case.department)
    back_to = (case.dispatched_by or "").removeprefix("staff:") or wording.text("cases", "work_orders.notes.dispatcher")
    move(
        session=session,
        case=case,
        config=config,
        target=Status.RECEIVED,
        actor=actor_of(user),
        kind="return",
        note=wording.say(
            "cases", "work_orders.notes.returned", department=dept, back_to=back_to, reason=reason.strip()
        ),
        public=False,
    )
    case.department = None
    case.assignee_id = None
    session.commit()
    return case


def request_extension(
    *, session: Session, case: Case, user: StaffUser, days: int, reason: str, config: CaseConfig | None = None
) -> Case:
    """延期申请: the department asks for more working days; a supervisor approves or denies."""
    config = config or default_config()
    _for_department(user, case, config, "extension")
    if Status(case.status) not in (Status.IN_PROGRESS, Status.SUPERVISED):
        raise BadRequest(wording.text("cases", "work_orders.refused.extension_when"))
    if case.extension_days is not None:
        raise BadRequest(wording.text("cases", "work_orders.refused.extension_pending"))
    if not 1 <= days <= config.extension_max_days:
        raise BadRequest(wording.say("cases", "work_orders.refused.extension_days", max_days=config.extension_max_days))
    if not reason.strip():
        raise BadRequest(wording.text("cases", "work_orders.refused.extension_reason"))
    case.extension_days = days
    case.extension_reason = reason.strip()
    case.extension_by = actor_of(user)
    record_event(
        session=session,
        case=case,
        config=config,
        actor=actor_of(user),
        kind="extension_requested",
        note=wording.say("cases", "work_orders.notes.extension_requested", days=days, reason=reason.strip()),
        public=False,
    )
    session.commit()
    return case


def decide_extension(
    *,
    session: Session,
    case: Case,
    user: StaffUser,
    approve: bool,
    note: str | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """批准 moves the deadline by the requested working days (from the current deadline); 驳回 keeps it."""
    config = config or default_config()
    check_supervisor(user, "extension_decision")
    days = case.extension_days
    if days is None:
        raise BadRequest(wording.text("cases", "work_orders.refused.no_extension"))
    old = case.deadline
    case.extension_days = case.extension_reason = case.extension_by = None
    if approve:
        case.deadline = add_working_days(old, days)
        text = wording.say(
            "cases",
            "work_orders.notes.extension_approved",
            days=days,
            old=old.isoformat(),
            new=case.deadline.isoformat(),
        )
        kind = "extension_approved"
    else:
        text = (
            wording.say("cases", "work_orders.notes.extension_denied_note", note=note)
            if note
            else wording.text("cases", "work_orders.notes.extension_denied")
        )
        kind = "extension_denied"
    actor = actor_of(user)
    record_event(session=session, case=case, config=config, actor=actor, kind=kind, note=text, public=approve)
    if approve and note:
        record_event(session=session, case=case, config=config, actor=actor, kind="note", note=note, public=False)
    session.commit()
    return case


def record_visit(
    *,
    session: Session,
    case: Case,
    user: StaffUser,
    score: int,
    note: str | None = None,
    config: CaseConfig | None = None,
) -> Case:
    """回访 by an agent: the caller's verdict as a rating (≤2 reopens to 督办 as a citizen's own rating does, ≥3
    closes); `VISIT_UNREACHED` writes the attempt and leaves the case waiting for the next contact."""
    config = config or default_config()
    current = Status(case.status)
    if current is not Status.REPLIED:
        raise IllegalTransition(current, current)
    if score == VISIT_UNREACHED:
        record_event(
            session=session,
            case=case,
            config=config,
            actor=actor_of(user),
            kind="visit_unreached",
            note=wording.say("cases", "work_orders.notes.visit_unreached_note", note=note)
            if note
            else wording.text("cases", "work_orders.notes.visit_unreached"),
            public=False,
        )
        session.commit()
        return case
    if not 1 <= score <= 5:
        raise BadRequest(wording.text("cases", "work_orders.refused.visit_result"))
    return rate_case(session=session, case=case, score=score, comment=note, config=config, visited_by=actor_of(user))


def mark_duplicate(
    *, session: Session, case: Case, main: Case, user: StaffUser, config: CaseConfig | None = None
) -> Case:
    """合并: `case` is the same matter as `main`. It leaves the queues and the figures, and its citizen gets the
    main case's reply through their own timeline and the outbox (now, if the main case is already answered)."""
    config = config or default_config()
    check_supervisor(user, "merge")
    while main.duplicate_of is not None:  # merge into the case that is really worked on
        main = main.duplicate_of
    if main.id == case.id:
        raise BadRequest(wording.text("cases", "work_orders.refused.merge_self"))
    if case.duplicate_of_id is not None:
        raise BadRequest(wording.text("cases", "work_orders.refused.merge_again"))
    if Status(case.status) in RATEABLE:
        raise BadRequest(wording.text("cases", "work_orders.refused.merge_replied"))
    actor = actor_of(user)
    for dup in duplicates_of(session=session, case=case):  # its own duplicates follow it to the main case
        dup.duplicate_of_id = main.id
        dup.duplicate_of = main
    case.duplicate_of_id = main.id
    case.duplicate_of = main
    record_event(
        session=session,
        case=case,
        config=config,
        actor=actor,
        kind="merged",
        note=wording.say("cases", "work_orders.notes.merged", main=main.case_no),
    )
    record_event(
        session=session,
        case=main,
        config=config,
        actor=actor,
        kind="merged_in",
        note=wording.say("cases", "work_orders.notes.merged_in", duplicate=case.case_no),
        public=False,
    )
    if main.reply is not None and Status(main.status) in RATEABLE:
        pass_on_reply(session=session, duplicate=case, main=main, actor=SYSTEM, config=config)
    session.commit()
    return case


# ---------------------------------------------------------------- a caller's history


@dataclass
class CallerHistory:
    phone_masked: str
    cases: Sequence[Case] = ()
    handoffs: Sequence[Handoff] = ()
    turns: Sequence[ChatTurn] = ()
    senders: list[str] = field(default_factory=list)


def caller_history(*, session: Session, phone: str, turn_limit: int = 50) -> CallerHistory:
    """Every case filed with this number, and the chat handoffs and turns of the chat users who filed them."""
    cases = session.scalars(select(Case).where(Case.phone == phone).order_by(Case.created_at.desc())).all()
    senders = sorted({c.sender for c in cases if c.sender})
    handoffs: Sequence[Handoff] = ()
    turns: Sequence[ChatTurn] = ()
    if senders:
        handoffs = session.scalars(
            select(Handoff).where(Handoff.sender.in_(senders)).order_by(Handoff.created_at.desc())
        ).all()
        turns = session.scalars(
            select(ChatTurn).where(ChatTurn.sender.in_(senders)).order_by(ChatTurn.at.desc()).limit(turn_limit)
        ).all()
    return CallerHistory(phone_masked=mask_phone(phone), cases=cases, handoffs=handoffs, turns=turns, senders=senders)


def record_lookup(
    *, session: Session, user: StaffUser, phone: str, found: int, case_no: str | None = None
) -> CallerLookup:
    """The audit line of a caller search: who, which masked number (or case number), when, how many cases."""
    row = CallerLookup(at=utcnow(), actor=actor_of(user), phone_masked=mask_phone(phone), case_no=case_no, found=found)
    session.add(row)
    session.commit()
    return row


def recent_lookups(*, session: Session, limit: int = 50) -> Sequence[CallerLookup]:
    return session.scalars(select(CallerLookup).order_by(CallerLookup.id.desc()).limit(limit)).all()
