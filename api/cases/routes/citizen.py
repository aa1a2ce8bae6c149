"""Citizen API of 有诉即办 — a contract the bot, the widget and WeChat depend on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from api.cases import filing, service
from api.cases.deps import CaseConfigDep, GuesserDep, RuntimeDep
from api.cases.errors import ChineseErrorsRoute, unprocessable
from api.cases.models import Case
from api.cases.phone import mask_phone
from api.cases.schemas import CaseCreated, CaseIn, CasePublic, CategoryOut, RatingIn, RatingOut, TimelineEntryPublic
from api.cases.states import RATEABLE, IllegalTransition, Status, status_name
from api.chat.content import load_messages
from api.core import wording
from api.core.deps import SessionDep
from api.core.guesses import Guesser, retry_after
from api.deps import CatalogueDep, client_ip, require_internal_token

router = APIRouter(prefix="/api/cases", tags=["cases"], route_class=ChineseErrorsRoute)

CaseNo = Annotated[str, Path(min_length=1, max_length=32)]
PhoneLast4 = Annotated[str, Query(pattern=r"^\d{4}$")]


def _created(case: Case) -> CaseCreated:
    return CaseCreated(
        case_no=case.case_no,
        status=case.status,
        status_name=status_name(Status(case.status)),
        deadline=case.deadline,
    )


def to_public(case: Case, config_names: dict[str, str]) -> CasePublic:
    status = Status(case.status)
    return CasePublic(
        case_no=case.case_no,
        category=case.category,
        category_name=config_names.get(case.category, case.category),
        status=status.value,
        status_name=status_name(status),
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
                note=service.public_note(e.actor, e.note),
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
    case_in: CaseIn,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    config: CaseConfigDep,
    catalogue: CatalogueDep,
) -> CaseCreated | JSONResponse:
    """The action server files for chat users (with the internal token); anyone else files as "web"."""
    internal = _from_action_server(request)
    try:
        channel = filing.channel_for(case_in.channel, internal=internal)
    except filing.StaffChannelRefused:
        return unprocessable("channel", "staff_channel", load_messages().text("cases", "staff_channel"))
    if config.category(case_in.category) is None:
        return unprocessable("category", "unknown_category")
    if case_in.request_type is not None and config.request_type(case_in.request_type) is None:
        return unprocessable(
            "request_type", "unknown_request_type", wording.text("cases", "citizen.unknown_request_type")
        )
    if case_in.item_id and catalogue.item(case_in.item_id) is None:
        return unprocessable("item_id", "unknown_item", wording.text("cases", "citizen.unknown_item"))
    if case_in.item_id:  # an alias entry's id (same_as) is filed as the item it names: one id per service
        case_in = case_in.model_copy(update={"item_id": catalogue.resolve(case_in.item_id)})
    if case_in.window_id and case_in.window_id not in catalogue.windows:
        return unprocessable("window_id", "unknown_window", wording.text("cases", "citizen.unknown_window"))
    wait = runtime.filings.wait(phone=case_in.phone, ip=None if internal else client_ip(request))
    if wait:
        detail = load_messages().text("cases", "too_many_filings")
        return JSONResponse({"detail": detail}, status_code=429, headers=retry_after(wait))
    case = service.create_case(session=session, case_in=case_in.filed_as(channel, internal=internal), config=config)
    return _created(case)


def _from_action_server(request: Request) -> bool:
    """A token that is sent must be right: a misconfigured action server is refused, not filed as the public."""
    if "x-internal-token" not in request.headers:
        return False
    require_internal_token(request)
    return True


@router.get("/{case_no}", response_model=CasePublic)
def track(
    case_no: CaseNo, phone_last4: PhoneLast4, session: SessionDep, runtime: RuntimeDep, guesser: GuesserDep
) -> CasePublic:
    case = _citizen_case(case_no, phone_last4, session, runtime, guesser)
    return to_public(case, {c.code: c.name for c in runtime.config.categories})


@router.post("/{case_no}/rating", response_model=RatingOut)
def rate(case_no: CaseNo, rating: RatingIn, session: SessionDep, runtime: RuntimeDep, guesser: GuesserDep) -> RatingOut:
    case = _citizen_case(case_no, rating.phone_last4, session, runtime, guesser)
    try:
        service.rate_case(session=session, case=case, score=rating.score, comment=rating.comment, config=runtime.config)
    except IllegalTransition:
        raise HTTPException(status_code=409, detail=wording.text("cases", "citizen.not_rateable")) from None
    status = Status(case.status)
    return RatingOut(case_no=case.case_no, status=status.value, status_name=status_name(status))


def _citizen_case(case_no: str, phone_last4: str, session: SessionDep, runtime: RuntimeDep, guesser: Guesser) -> Case:
    key = case_no.strip().upper()
    wait = runtime.lookups.attempt(key, guesser)
    if wait:
        detail = load_messages().text("cases", "too_many_lookups")
        raise HTTPException(status_code=429, detail=detail, headers=retry_after(wait))
    case = service.get_case_for_citizen(session=session, case_no=key, phone_last4=phone_last4)
    if case is None:
        raise HTTPException(status_code=404, detail=wording.text("cases", "citizen.not_found"))
    runtime.lookups.succeeded(key, guesser)
    return case
