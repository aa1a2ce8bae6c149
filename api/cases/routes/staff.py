"""Staff console API: every action needs a login and leaves a line in the case timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import auth
from api.accounts.deps import TOKEN_COOKIE, CurrentStaff, LoginLimiterDep, SupervisorUser, bearer_token, staff_csrf
from api.accounts.models import StaffUser
from api.cases import actions, outbox, service, timeline, workorders
from api.cases.config import CaseConfig
from api.cases.deps import CaseConfigDep, GuesserDep, RuntimeDep
from api.cases.errors import ChineseErrorsRoute
from api.cases.models import Case
from api.cases.phone import mask_phone, normalize_phone
from api.cases.schemas import (
    AssignIn,
    CallerOut,
    CaseList,
    CaseStaff,
    CaseStaffDetail,
    DeadLetter,
    DecisionIn,
    DepartmentOut,
    DispatchIn,
    ExtensionIn,
    HandoffBrief,
    LoginIn,
    LoginOut,
    MergeIn,
    RatingStaff,
    ReasonIn,
    StaffOut,
    TextIn,
    TimelineEntryStaff,
    TransitionIn,
    TurnBrief,
    VisitIn,
)
from api.cases.states import Status, status_name
from api.cases.workorders import actor_of  # one actor name for the timeline
from api.chat.content import load_messages
from api.core import wording
from api.core.deps import SessionDep
from api.core.guesses import retry_after
from civic.privacy import mask_personal

router = APIRouter(prefix="/api/staff", tags=["staff"], route_class=ChineseErrorsRoute)
CaseNo = Annotated[str, Path(min_length=1, max_length=32)]


def _staff_view(case: Case, config: CaseConfig) -> dict[str, object]:
    status = Status(case.status)
    return {
        "case_no": case.case_no,
        "category": case.category,
        "description": mask_personal(case.description),
        "channel": case.channel,
        "item_id": case.item_id,
        "window_id": case.window_id,
        "phone": mask_phone(case.phone),
        "status": status.value,
        "status_name": status_name(status),
        "department": case.department,
        "department_name": config.departments.name_of(case.department) or None,
        "assignee": case.assignee.username if case.assignee else None,
        "deadline": case.deadline,
        "overdue": service.is_overdue(case),
        "reply": case.reply,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "request_type": case.request_type,
        "caller_name": case.caller_name,
        "dispatched_by": case.dispatched_by,
        "duplicate_of": case.duplicate_of.case_no if case.duplicate_of is not None else None,
        "extension_days": case.extension_days,
        "extension_reason": case.extension_reason,
    }


def staff_names(session: Session) -> dict[str, str]:
    """username → display name, for the timeline's 'who'."""
    return {u: d or u for u, d in session.execute(select(StaffUser.username, StaffUser.display_name))}


def _detail(case: Case, config: CaseConfig, session: Session) -> CaseStaffDetail:
    names = staff_names(session)
    return CaseStaffDetail(
        **_staff_view(case, config),  # type: ignore[arg-type]
        timeline=[
            TimelineEntryStaff(
                at=e.at,
                actor=e.actor,
                kind=e.kind,
                from_status=e.from_status,
                to_status=e.to_status,
                note=e.note,
                public=e.public,
                who=timeline.who(e.actor, names),
                label=timeline.what(e, case),
            )
            for e in case.timeline
        ],
        ratings=[RatingStaff.model_validate(r) for r in case.ratings],
    )


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    guesser: GuesserDep,
    logins: LoginLimiterDep,
) -> LoginOut:
    key = auth.login_key(body.username)  # the console counts the same guesses (api/console/routes/session.py)
    wait = logins.attempt(key, guesser)
    if wait:
        detail = load_messages().text("cases", "too_many_logins")
        raise HTTPException(status_code=429, detail=detail, headers=retry_after(wait))
    user = auth.authenticate(session=session, username=body.username, password=body.password)
    if user is None:
        raise HTTPException(status_code=401, detail=wording.text("cases", "staff.bad_login"))
    logins.succeeded(key, guesser)
    if user.must_change_password:  # the one-time password is for the console's password page only
        raise HTTPException(status_code=403, detail=load_messages().text("cases", "change_password_first"))
    token, expires = auth.issue_token(
        session=session, user=user, ttl=timedelta(hours=runtime.settings.staff_token_hours)
    )
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.app_env == "production",
        max_age=runtime.settings.staff_token_hours * 3600,
        path="/api/staff",
    )
    return LoginOut(access_token=token, expires_at=expires, username=user.username, role=user.role)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep, _user: CurrentStaff) -> None:
    token = bearer_token(request)
    if token:
        auth.revoke_token(session=session, token=token)
    response.delete_cookie(TOKEN_COOKIE, path="/api/staff")


@router.get("/me", response_model=StaffOut)
def me(request: Request, user: CurrentStaff) -> StaffOut:
    return StaffOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        department=user.department,
        csrf_token=staff_csrf(request, bearer_token(request) or ""),
    )


@router.get("/cases", response_model=CaseList)
def list_cases(
    session: SessionDep,
    _user: CurrentStaff,
    config: CaseConfigDep,
    status: Status | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseList:
    assignee_id = None
    if assignee:
        staff = session.scalar(select(StaffUser).where(StaffUser.username == assignee))
        assignee_id = staff.id if staff else -1
    dept = config.departments.find(department)
    flt = service.CaseFilter(
        status=status,
        category=category,
        department=dept.code if dept else department,
        overdue=overdue,
        assignee_id=assignee_id,
    )
    rows, total = service.list_cases(session=session, flt=flt, limit=limit, offset=offset)
    return CaseList(total=total, items=[CaseStaff(**_staff_view(c, config)) for c in rows])  # type: ignore[arg-type]


@router.get("/cases/{case_no}", response_model=CaseStaffDetail)
def case_detail(case_no: CaseNo, session: SessionDep, _user: CurrentStaff, config: CaseConfigDep) -> CaseStaffDetail:
    return _detail(actions.load_case(session, case_no, for_update=True), config, session)


@router.post("/cases/{case_no}/phone")
def reveal_phone(case_no: CaseNo, session: SessionDep, user: CurrentStaff, config: CaseConfigDep) -> dict[str, str]:
    """The full number is shown only on purpose, and who looked is written into the timeline."""
    case = actions.load_case(session, case_no, for_update=True)
    phone = actions.reveal(session=session, case=case, user=user, config=config, what="phone")
    return {"case_no": case.case_no, "phone": phone}


@router.post("/cases/{case_no}/description")
def reveal_description(
    case_no: CaseNo, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> dict[str, str]:
    """The story with the numbers the citizen typed into it, only on purpose, and audited like the phone."""
    case = actions.load_case(session, case_no, for_update=True)
    description = actions.reveal(session=session, case=case, user=user, config=config, what="description")
    return {"case_no": case.case_no, "description": description}


@router.post("/cases/{case_no}/assign", response_model=CaseStaffDetail)
def assign(
    case_no: CaseNo, body: AssignIn, session: SessionDep, user: SupervisorUser, config: CaseConfigDep
) -> CaseStaffDetail:
    """派单 (a department) and/or 经办人 in one call, as before the dispatch endpoint existed."""
    if body.department is None and body.assignee is None:
        raise HTTPException(status_code=422, detail=wording.text("cases", "staff.dispatch_to_whom"))
    assignee = None
    if body.assignee is not None:
        assignee = session.scalar(select(StaffUser).where(StaffUser.username == body.assignee))
        if assignee is None or not assignee.active:
            raise HTTPException(status_code=422, detail=wording.text("cases", "staff.no_assignee"))
    case = actions.load_case(session, case_no, for_update=True)
    try:
        if body.department is not None:
            workorders.dispatch(
                session=session, case=case, user=user, department=_department(config, body.department), config=config
            )
        if assignee is not None:
            workorders.set_assignee(session=session, case=case, user=user, assignee=assignee, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


def _department(config: CaseConfig, key: str) -> workorders.Department:
    dept = config.departments.find(key)
    if dept is None:
        raise HTTPException(status_code=422, detail=wording.text("cases", "staff.no_department"))
    return dept


@router.get("/departments", response_model=list[DepartmentOut])
def departments(_user: CurrentStaff, config: CaseConfigDep) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in config.departments.departments]


@router.post("/cases/{case_no}/dispatch", response_model=CaseStaffDetail)
def dispatch(
    case_no: CaseNo, body: DispatchIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    """派单 to a department of the directory; it must 签收 or 退回."""
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.dispatch(
            session=session,
            case=case,
            user=user,
            department=_department(config, body.department),
            note=body.note,
            config=config,
        )
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/accept", response_model=CaseStaffDetail)
def accept(case_no: CaseNo, session: SessionDep, user: CurrentStaff, config: CaseConfigDep) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.accept(session=session, case=case, user=user, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/return", response_model=CaseStaffDetail)
def return_case(
    case_no: CaseNo, body: ReasonIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.return_case(session=session, case=case, user=user, reason=body.reason, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/extension", response_model=CaseStaffDetail)
def request_extension(
    case_no: CaseNo, body: ExtensionIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.request_extension(
            session=session, case=case, user=user, days=body.days, reason=body.reason, config=config
        )
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/extension/decision", response_model=CaseStaffDetail)
def decide_extension(
    case_no: CaseNo, body: DecisionIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.decide_extension(
            session=session, case=case, user=user, approve=body.approve, note=body.note, config=config
        )
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/visit", response_model=CaseStaffDetail)
def visit(
    case_no: CaseNo, body: VisitIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    """回访: the caller's verdict after the reply (≤2 reopens to 督办, ≥3 closes), or 0 for nobody answered."""
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.record_visit(session=session, case=case, user=user, score=body.result, note=body.note, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/merge", response_model=CaseStaffDetail)
def merge(
    case_no: CaseNo, body: MergeIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    """Mark this case a duplicate of `into`: its citizen gets that case's reply, the figures count it once."""
    case = actions.load_case(session, case_no, for_update=True)
    main = service.get_case(session=session, case_no=body.into.strip().upper(), for_update=True)
    if main is None:
        raise HTTPException(status_code=404, detail=wording.text("cases", "staff.no_main_case"))
    try:
        workorders.mark_duplicate(session=session, case=case, main=main, user=user, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.get("/callers", response_model=CallerOut)
def caller(
    session: SessionDep,
    user: CurrentStaff,
    config: CaseConfigDep,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    case_no: Annotated[str | None, Query(max_length=32)] = None,
) -> CallerOut:
    """A caller's history by phone or by one of their case numbers; every search is written to the audit."""
    number, key = _caller_number(session, phone, case_no)
    history = workorders.caller_history(session=session, phone=number)
    workorders.record_lookup(session=session, user=user, phone=number, found=len(history.cases), case_no=key)
    return CallerOut(
        phone=history.phone_masked,
        cases=[CaseStaff(**_staff_view(c, config)) for c in history.cases],  # type: ignore[arg-type]
        handoffs=[HandoffBrief.model_validate(h) for h in history.handoffs],
        turns=[TurnBrief.model_validate(t) for t in history.turns],
    )


def _caller_number(session: Session, phone: str | None, case_no: str | None) -> tuple[str, str | None]:
    if case_no:
        case = service.get_case(session=session, case_no=case_no.strip().upper())
        if case is None:
            raise HTTPException(status_code=404, detail=wording.text("cases", "staff.not_found"))
        return case.phone, case.case_no
    number = normalize_phone(phone or "")
    if number is None:
        raise HTTPException(status_code=422, detail=wording.text("cases", "staff.bad_caller_query"))
    return number, None


@router.post("/cases/{case_no}/transition", response_model=CaseStaffDetail)
def transition(
    case_no: CaseNo, body: TransitionIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    """改状态 for moves without their own action (派单, 签收, 退回 and 答复 have theirs)."""
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.change_status(session=session, case=case, user=user, target=body.to, note=body.note, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/reply", response_model=CaseStaffDetail)
def reply(
    case_no: CaseNo, body: TextIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    try:
        workorders.answer(session=session, case=case, user=user, text=body.text, config=config)
    except actions.REFUSALS as exc:
        raise actions.refused(exc) from None
    return _detail(case, config, session)


@router.post("/cases/{case_no}/notes", response_model=CaseStaffDetail, status_code=201)
def add_note(
    case_no: CaseNo, body: TextIn, session: SessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = actions.load_case(session, case_no, for_update=True)
    service.add_note(session=session, case=case, text=body.text, actor=actor_of(user), config=config)
    return _detail(case, config, session)


@router.post("/overdue/run")
def run_overdue(session: SessionDep, _user: SupervisorUser, config: CaseConfigDep) -> dict[str, list[str]]:
    """The scheduler's pass, on demand (e.g. right after a holiday calendar update)."""
    return {"marked": service.mark_overdue(session=session, config=config)}


@router.get("/outbox/dead", response_model=list[DeadLetter])
def dead_letters(session: SessionDep, _user: SupervisorUser) -> list[DeadLetter]:
    rows = outbox.dead_letters(session=session)
    ids = {r.case_id for r in rows}
    case_nos = {cid: no for cid, no in session.execute(select(Case.id, Case.case_no).where(Case.id.in_(ids)))}
    return [
        DeadLetter(
            event_id=r.event_id,
            case_no=case_nos[r.case_id],
            event_type=r.event_type,
            attempts=r.attempts,
            last_error=r.last_error,
            created_at=r.created_at,
            dead_at=r.dead_at,
        )
        for r in rows
    ]


@router.post("/outbox/{event_id}/retry", status_code=202)
def retry_dead_letter(
    event_id: Annotated[str, Path(max_length=36)], session: SessionDep, _user: SupervisorUser
) -> dict[str, str]:
    if outbox.retry_dead(session=session, event_id=event_id) is None:
        raise HTTPException(status_code=404, detail=wording.text("cases", "staff.no_outbox_event"))
    return {"event_id": event_id, "status": "queued"}
