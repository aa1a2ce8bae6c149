"""Staff console API: every action needs a login and leaves a line in the case timeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cases import auth, outbox, service
from api.cases.auth import Role
from api.cases.deps import (
    TOKEN_COOKIE,
    CaseConfigDep,
    CaseSessionDep,
    CurrentStaff,
    GuesserDep,
    RuntimeDep,
    SupervisorUser,
    bearer_token,
    staff_csrf,
)
from api.cases.errors import ChineseErrorsRoute
from api.cases.guesses import retry_after
from api.cases.models import Case, StaffUser
from api.cases.phone import mask_phone
from api.cases.schemas import NoteText
from api.cases.states import STATUS_NAMES, IllegalTransition, Status
from api.chat.content import load_messages
from civic.privacy import mask_personal

router = APIRouter(prefix="/api/staff", tags=["staff"], route_class=ChineseErrorsRoute)
CaseNo = Annotated[str, Path(min_length=1, max_length=32)]


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: str


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str
    department: str | None
    csrf_token: str  # X-CSRF-Token for posts that ride on the cookie (a bearer header needs none)


class TimelineEntryStaff(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None
    public: bool


class RatingStaff(BaseModel):
    score: int
    comment: str | None
    at: datetime


class CaseStaff(BaseModel):
    case_no: str
    category: str
    description: str
    channel: str
    item_id: str | None
    window_id: str | None
    phone: str
    status: str
    status_name: str
    department: str | None
    assignee: str | None
    deadline: date
    overdue: bool
    reply: str | None
    created_at: datetime
    updated_at: datetime


class CaseStaffDetail(CaseStaff):
    timeline: list[TimelineEntryStaff]
    ratings: list[RatingStaff]


class CaseList(BaseModel):
    total: int
    items: list[CaseStaff]


class AssignIn(BaseModel):
    department: str | None = Field(default=None, min_length=1, max_length=64)
    assignee: str | None = Field(default=None, min_length=1, max_length=64)


class TransitionIn(BaseModel):
    to: Status
    note: NoteText | None = None


class TextIn(BaseModel):
    text: NoteText


class DeadLetter(BaseModel):
    event_id: str
    case_no: str
    event_type: str
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime | None


def actor_of(user: StaffUser) -> str:
    return f"staff:{user.username}"


def _staff_view(case: Case) -> dict[str, object]:
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
        "status_name": STATUS_NAMES[status],
        "department": case.department,
        "assignee": case.assignee.username if case.assignee else None,
        "deadline": case.deadline,
        "overdue": service.is_overdue(case),
        "reply": case.reply,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def _detail(case: Case) -> CaseStaffDetail:
    return CaseStaffDetail(
        **_staff_view(case),  # type: ignore[arg-type]
        timeline=[
            TimelineEntryStaff(
                at=e.at,
                actor=e.actor,
                kind=e.kind,
                from_status=e.from_status,
                to_status=e.to_status,
                note=e.note,
                public=e.public,
            )
            for e in case.timeline
        ],
        ratings=[RatingStaff(score=r.score, comment=r.comment, at=r.at) for r in case.ratings],
    )


def _load(session: Session, case_no: str) -> Case:
    case = service.get_case(session=session, case_no=case_no.strip().upper(), for_update=True)
    if case is None:
        raise HTTPException(status_code=404, detail="没有找到这个案件")
    return case


def _conflict(exc: IllegalTransition) -> HTTPException:
    return HTTPException(
        status_code=409,
        detail=f"案件当前是“{STATUS_NAMES[exc.current]}”，不能改为“{STATUS_NAMES[exc.target]}”",
    )


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, response: Response, session: CaseSessionDep, runtime: RuntimeDep, guesser: GuesserDep
) -> LoginOut:
    key = auth.login_key(body.username)  # the console counts the same guesses (api/console/routes.py)
    wait = runtime.logins.attempt(key, guesser)
    if wait:
        detail = load_messages().text("cases", "too_many_logins")
        raise HTTPException(status_code=429, detail=detail, headers=retry_after(wait))
    user = auth.authenticate(session=session, username=body.username, password=body.password)
    if user is None:
        raise HTTPException(status_code=401, detail="用户名或密码不对")
    runtime.logins.succeeded(key, guesser)
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
def logout(request: Request, response: Response, session: CaseSessionDep, _user: CurrentStaff) -> None:
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
    session: CaseSessionDep,
    _user: CurrentStaff,
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
    flt = service.CaseFilter(
        status=status, category=category, department=department, overdue=overdue, assignee_id=assignee_id
    )
    rows, total = service.list_cases(session=session, flt=flt, limit=limit, offset=offset)
    return CaseList(total=total, items=[CaseStaff(**_staff_view(c)) for c in rows])  # type: ignore[arg-type]


@router.get("/cases/{case_no}", response_model=CaseStaffDetail)
def case_detail(case_no: CaseNo, session: CaseSessionDep, _user: CurrentStaff) -> CaseStaffDetail:
    return _detail(_load(session, case_no))


@router.post("/cases/{case_no}/phone")
def reveal_phone(case_no: CaseNo, session: CaseSessionDep, user: CurrentStaff, config: CaseConfigDep) -> dict[str, str]:
    """The full number is shown only on purpose, and who looked is written into the timeline."""
    case = _load(session, case_no)
    service.record_event(
        session=session, case=case, config=config, actor=actor_of(user), kind="phone_viewed", public=False
    )
    session.commit()
    return {"case_no": case.case_no, "phone": case.phone}


@router.post("/cases/{case_no}/description")
def reveal_description(
    case_no: CaseNo, session: CaseSessionDep, user: CurrentStaff, config: CaseConfigDep
) -> dict[str, str]:
    """The story with the numbers the citizen typed into it, only on purpose, and audited like the phone."""
    case = _load(session, case_no)
    service.record_event(
        session=session, case=case, config=config, actor=actor_of(user), kind="description_viewed", public=False
    )
    session.commit()
    return {"case_no": case.case_no, "description": case.description}


@router.post("/cases/{case_no}/assign", response_model=CaseStaffDetail)
def assign(
    case_no: CaseNo, body: AssignIn, session: CaseSessionDep, user: SupervisorUser, config: CaseConfigDep
) -> CaseStaffDetail:
    if body.department is None and body.assignee is None:
        raise HTTPException(status_code=422, detail="请指定部门或经办人")
    assignee = None
    if body.assignee is not None:
        assignee = session.scalar(select(StaffUser).where(StaffUser.username == body.assignee))
        if assignee is None or not assignee.active:
            raise HTTPException(status_code=422, detail="没有这个经办人")
    case = _load(session, case_no)
    try:
        service.assign(
            session=session,
            case=case,
            actor=actor_of(user),
            department=body.department,
            assignee=assignee,
            config=config,
        )
    except IllegalTransition as exc:
        raise _conflict(exc) from None
    return _detail(case)


@router.post("/cases/{case_no}/transition", response_model=CaseStaffDetail)
def transition(
    case_no: CaseNo, body: TransitionIn, session: CaseSessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = _load(session, case_no)
    touches_supervision = Status.SUPERVISED in (body.to, Status(case.status))
    if touches_supervision and Role.parse(user.role) < Role.SUPERVISOR:
        raise HTTPException(status_code=403, detail="督办案件由督办人员处理")
    if body.to is Status.REPLIED:
        raise HTTPException(status_code=422, detail="答复请用 reply 接口，并写明答复内容")
    try:
        service.transition(
            session=session, case=case, target=body.to, actor=actor_of(user), note=body.note, config=config
        )
    except IllegalTransition as exc:
        raise _conflict(exc) from None
    return _detail(case)


@router.post("/cases/{case_no}/reply", response_model=CaseStaffDetail)
def reply(
    case_no: CaseNo, body: TextIn, session: CaseSessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = _load(session, case_no)
    if Status(case.status) is Status.SUPERVISED and Role.parse(user.role) < Role.SUPERVISOR:
        raise HTTPException(status_code=403, detail="督办案件由督办人员答复")
    try:
        service.reply(session=session, case=case, text=body.text, actor=actor_of(user), config=config)
    except IllegalTransition as exc:
        raise _conflict(exc) from None
    return _detail(case)


@router.post("/cases/{case_no}/notes", response_model=CaseStaffDetail, status_code=201)
def add_note(
    case_no: CaseNo, body: TextIn, session: CaseSessionDep, user: CurrentStaff, config: CaseConfigDep
) -> CaseStaffDetail:
    case = _load(session, case_no)
    service.add_note(session=session, case=case, text=body.text, actor=actor_of(user), config=config)
    return _detail(case)


@router.post("/overdue/run")
def run_overdue(session: CaseSessionDep, _user: SupervisorUser, config: CaseConfigDep) -> dict[str, list[str]]:
    """The scheduler's pass, on demand (e.g. right after a holiday calendar update)."""
    return {"marked": service.mark_overdue(session=session, config=config)}


@router.get("/outbox/dead", response_model=list[DeadLetter])
def dead_letters(session: CaseSessionDep, _user: SupervisorUser) -> list[DeadLetter]:
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
    event_id: Annotated[str, Path(max_length=36)], session: CaseSessionDep, _user: SupervisorUser
) -> dict[str, str]:
    if outbox.retry_dead(session=session, event_id=event_id) is None:
        raise HTTPException(status_code=404, detail="没有这条待重发的事件")
    return {"event_id": event_id, "status": "queued"}
