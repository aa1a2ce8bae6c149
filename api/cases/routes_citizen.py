"""Citizen API of 有诉即办 — a contract the bot, the widget and WeChat depend on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from api.cases import service
from api.cases.deps import CaseConfigDep, CaseSessionDep, RuntimeDep
from api.cases.errors import ChineseErrorsRoute, unprocessable
from api.cases.models import Case
from api.cases.phone import mask_phone
from api.cases.schemas import (
    CaseCreate,
    CaseCreated,
    CasePublic,
    CategoryOut,
    RatingIn,
    RatingOut,
    TimelineEntryPublic,
)
from api.cases.states import RATEABLE, STATUS_NAMES, IllegalTransition, Status
from api.deps import CatalogueDep

router = APIRouter(prefix="/api/cases", tags=["cases"], route_class=ChineseErrorsRoute)

NOT_FOUND = "没有找到这个案件，请核对案件编号和手机号后四位"
TOO_MANY = "查询次数太多了，请 15 分钟后再试，或拨打 12345 热线"
CaseNo = Annotated[str, Path(min_length=1, max_length=32)]
PhoneLast4 = Annotated[str, Query(pattern=r"^\d{4}$")]


def _created(case: Case) -> CaseCreated:
    return CaseCreated(
        case_no=case.case_no,
        status=case.status,
        status_name=STATUS_NAMES[Status(case.status)],
        deadline=case.deadline,
    )


def to_public(case: Case, config_names: dict[str, str]) -> CasePublic:
    status = Status(case.status)
    return CasePublic(
        case_no=case.case_no,
        category=case.category,
        category_name=config_names.get(case.category, case.category),
        status=status.value,
        status_name=STATUS_NAMES[status],
        deadline=case.deadline,
        overdue=service.is_overdue(case),
        created_at=case.created_at,
        phone=mask_phone(case.phone),
        reply=case.reply,
        can_rate=status in RATEABLE,
        timeline=[
            TimelineEntryPublic(
                at=e.at,
                kind=e.kind,
                status=e.to_status,
                status_name=service.status_name(e.to_status),
                note=e.note,
            )
            for e in case.timeline
            if e.public
        ],
    )


@router.get("/categories")
def categories(config: CaseConfigDep) -> list[CategoryOut]:
    return [CategoryOut(code=c.code, name=c.name) for c in config.categories]


@router.post("", status_code=201, response_model=CaseCreated)
def create(
    case_in: CaseCreate, session: CaseSessionDep, config: CaseConfigDep, catalogue: CatalogueDep
) -> CaseCreated | JSONResponse:
    if config.category(case_in.category) is None:
        return unprocessable("category", "unknown_category")
    if case_in.item_id and case_in.item_id not in catalogue.items:
        return unprocessable("item_id", "unknown_item", "没有找到这个办事事项")
    if case_in.window_id and case_in.window_id not in catalogue.windows:
        return unprocessable("window_id", "unknown_window", "没有找到这个窗口")
    case = service.create_case(session=session, case_in=case_in, config=config)
    return _created(case)


@router.get("/{case_no}", response_model=CasePublic)
def track(case_no: CaseNo, phone_last4: PhoneLast4, session: CaseSessionDep, runtime: RuntimeDep) -> CasePublic:
    case = _citizen_case(case_no, phone_last4, session, runtime)
    return to_public(case, {c.code: c.name for c in runtime.config.categories})


@router.post("/{case_no}/rating", response_model=RatingOut)
def rate(case_no: CaseNo, rating: RatingIn, session: CaseSessionDep, runtime: RuntimeDep) -> RatingOut:
    case = _citizen_case(case_no, rating.phone_last4, session, runtime)
    try:
        service.rate_case(session=session, case=case, score=rating.score, comment=rating.comment, config=runtime.config)
    except IllegalTransition:
        raise HTTPException(status_code=409, detail="您的反映还在办理中，答复后才能评价") from None
    status = Status(case.status)
    return RatingOut(case_no=case.case_no, status=status.value, status_name=STATUS_NAMES[status])


def _citizen_case(case_no: str, phone_last4: str, session: CaseSessionDep, runtime: RuntimeDep) -> Case:
    key = case_no.strip().upper()
    if runtime.limiter.blocked(key):
        raise HTTPException(status_code=429, detail=TOO_MANY)
    case = service.get_case_for_citizen(session=session, case_no=key, phone_last4=phone_last4)
    if case is None:
        runtime.limiter.failed(key)
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return case
