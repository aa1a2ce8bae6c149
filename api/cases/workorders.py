"""The 12345 work order around a case: 派单 → 签收 or 退回, 延期 with approval, 回访, merging duplicates, and a
caller's history. Keyword-only like api/cases/service.py; the console and the staff API both call these, and the
rules of who may do what live here, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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


def _for_department(user: StaffUser, case: Case, config: CaseConfig, what: str) -> None:
    if not (is_supervisor(user) or belongs(user, case, config)):
        raise NotAllowed(f"只有承办部门（{config.departments.name_of(case.department)}）或督办人员可以{what}")


def check_supervisor(user: StaffUser, what: str) -> None:
    if not is_supervisor(user):
        raise NotAllowed(f"{what}由派单和督办人员操作")


ACTION_NAMES = {"dispatch": "派单", "accept": "签收", "return": "退回", "reply": "答复"}


def change_status(
    *, session: Session, case: Case, user: StaffUser, target: Status, note: str | None, config: CaseConfig
) -> Case:
    """改状态 for the moves without their own action; 督办 is a supervisor's, in and out."""
    current = Status(case.status)
    if target is Status.REPLIED:  # an answer needs its text, whatever the status
        raise BadRequest(f"这一步请用“{ACTION_NAMES['reply']}”，并写明答复内容")
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    action = DEDICATED.get((current, target))
    if action is not None:
        raise BadRequest(f"这一步请用“{ACTION_NAMES[action]}”")
    if Status.SUPERVISED in (current, target) and not is_supervisor(user):
        raise NotAllowed("督办案件由督办人员处理")
    return transition(session=session, case=case, target=target, actor=actor_of(user), note=note, config=config)


def answer(*, session: Session, case: Case, user: StaffUser, text: str, config: CaseConfig) -> Case:
    """答复 the caller (and every case merged into this one); a 督办 case is answered by a supervisor."""
    if Status(case.status) is Status.SUPERVISED and not is_supervisor(user):
        raise NotAllowed("督办案件由督办人员答复")
    if not text.strip():
        raise BadRequest("请填写答复内容")
    return reply(session=session, case=case, text=text.strip(), actor=actor_of(user), config=config)


def set_assignee(*, session: Session, case: Case, user: StaffUser, assignee: StaffUser, config: CaseConfig) -> Case:
    """经办人: the dispatcher, or the department for its own cases."""
    if not (is_supervisor(user) or belongs(user, case, config)):
        raise NotAllowed("只有承办部门或督办人员可以指定经办人")
    if not assignee.active:
        raise BadRequest("没有这个经办人")
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
    check_supervisor(user, "派单")
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
        note=f"已派单给{department.name}办理",
    )
    if note:
        record_event(session=session, case=case, config=config, actor=actor, kind="note", note=note, public=False)
    session.commit()
    return case


def accept(*, session: Session, case: Case, user: StaffUser, config: CaseConfig | None = None) -> Case:
    """签收: the department takes the case on; the reply deadline keeps running."""
    config = config or default_config()
    _for_department(user, case, config, "签收")
    if Status(case.status) is not Status.FORWARDED:
        raise IllegalTransition(Status(case.status), Status.IN_PROGRESS)
    move(
        session=session,
        case=case,
        config=config,
        target=Status.IN_PROGRESS,
        actor=actor_of(user),
        kind="accept",
        note=f"{config.departments.name_of(case.department)}已签收，正在办理",
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
    _for_department(user, case, config, "退回")
    if not reason.strip():
        raise BadRequest("请写明退回原因")
    if Status(case.status) is not Status.FORWARDED:
        raise IllegalTransition(Status(case.status), Status.RECEIVED)
    dept = config.departments.name_of(case.department)
    back_to = (case.dispatched_by or "").removeprefix("staff:") or "派单员"
    move(
        session=session,
        case=case,
        config=config,
        target=Status.RECEIVED,
        actor=actor_of(user),
        kind="return",
        note=f"{dept}退回给派单人（{back_to}）：{reason.strip()}",
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
    _for_department(user, case, config, "申请延期")
    if Status(case.status) not in (Status.IN_PROGRESS, Status.SUPERVISED):
        raise BadRequest("签收后、答复前才能申请延期")
    if case.extension_days is not None:
        raise BadRequest("已有一个延期申请在等审批")
    if not 1 <= days <= config.extension_max_days:
        raise BadRequest(f"延期天数请填 1 到 {config.extension_max_days} 个工作日")
    if not reason.strip():
        raise BadRequest("请写明延期理由")
    case.extension_days = days
    case.extension_reason = reason.strip()
    case.extension_by = actor_of(user)
    record_event(
        session=session,
        case=case,
        config=config,
        actor=actor_of(user),
        kind="extension_requested",
        note=f"申请延期 {days} 个工作日：{reason.strip()}",
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
    check_supervisor(user, "延期审批")
    days = case.extension_days
    if days is None:
        raise BadRequest("没有待审批的延期申请")
    old = case.deadline
    case.extension_days = case.extension_reason = case.extension_by = None
    if approve:
        case.deadline = add_working_days(old, days)
        text = f"延期 {days} 个工作日已批准，答复期限由 {old.isoformat()} 延至 {case.deadline.isoformat()}"
        kind = "extension_approved"
    else:
        text = "延期申请未批准，答复期限不变" + (f"：{note}" if note else "")
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
            note="回访未联系上" + (f"：{note}" if note else ""),
            public=False,
        )
        session.commit()
        return case
    if not 1 <= score <= 5:
        raise BadRequest("回访结果请选满意程度，或“未联系上”")
    return rate_case(session=session, case=case, score=score, comment=note, config=config, visited_by=actor_of(user))


def mark_duplicate(
    *, session: Session, case: Case, main: Case, user: StaffUser, config: CaseConfig | None = None
) -> Case:
    """合并: `case` is the same matter as `main`. It leaves the queues and the figures, and its citizen gets the
    main case's reply through their own timeline and the outbox (now, if the main case is already answered)."""
    config = config or default_config()
    check_supervisor(user, "合并工单")
    while main.duplicate_of is not None:  # merge into the case that is really worked on
        main = main.duplicate_of
    if main.id == case.id:
        raise BadRequest("不能把工单和它自己合并")
    if case.duplicate_of_id is not None:
        raise BadRequest("这个工单已经合并过了")
    if Status(case.status) in RATEABLE:
        raise BadRequest("已答复的工单不用再合并")
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
        note=f"您反映的问题与工单 {main.case_no} 是同一件事，已合并办理，答复会同时告诉您",
    )
    record_event(
        session=session,
        case=main,
        config=config,
        actor=actor,
        kind="merged_in",
        note=f"工单 {case.case_no} 与本件重复，已合并到本件办理",
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
