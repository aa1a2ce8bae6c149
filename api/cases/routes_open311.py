"""Open311 GeoReport v2 for other civic systems; see docs/open311.md for how our statuses map."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import select

from api.cases import service
from api.cases.deps import CaseSessionDep, RuntimeDep
from api.cases.models import Case
from api.cases.runtime import CasesRuntime
from api.cases.schemas import CaseCreate
from api.cases.states import STATUS_NAMES, Status
from api.cases.workdays import CHINA_TZ
from civic.privacy import mask_personal


class Open311Route(APIRoute):
    """Bad parameters answer in the GeoReport error shape (400), not FastAPI's 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as exc:
                fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
                return _error(400, "invalid parameter: " + ", ".join(fields))

        return handler


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
OPEN = frozenset({Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED})
GROUP = "有诉即办"


def _error(status: int, description: str) -> JSONResponse:
    """GeoReport errors are a list of {code, description}."""
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _key_ok(runtime: CasesRuntime, api_key: str | None) -> bool:
    keys = runtime.open311_keys()
    return bool(api_key) and api_key in keys


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(CHINA_TZ).isoformat(timespec="seconds") if dt else None


def open311_status(case: Case) -> str:
    return "open" if Status(case.status) in OPEN else "closed"


def _request_json(case: Case, names: dict[str, str]) -> dict[str, Any]:
    """What the citizen typed (description, address) leaves with its phone and ID numbers masked."""
    status = Status(case.status)
    return {
        "service_request_id": case.case_no,
        "status": open311_status(case),
        "status_notes": STATUS_NAMES[status] + (f"：{case.reply}" if case.reply else ""),
        "service_name": names.get(case.category, case.category),
        "service_code": case.category,
        "description": mask_personal(case.description),
        "agency_responsible": case.department,
        "service_notice": None,
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": service.expected_datetime(case).isoformat(timespec="seconds"),
        "address": mask_personal(case.address) if case.address else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.long,
        "media_url": None,
    }


@router.get("/services.json")
def services(runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"{GROUP}：{c.name}（{c.sla_days} 个工作日内答复）",
            "metadata": False,
            "type": "realtime",
            "keywords": c.name,
            "group": GROUP,
        }
        for c in runtime.config.categories
    ]


@router.get("/services/{service_code}.json", response_model=None)
def service_definition(service_code: str, runtime: RuntimeDep) -> dict[str, Any] | JSONResponse:
    if runtime.config.category(service_code) is None:
        return _error(404, "service_code not found")
    return {"service_code": service_code, "attributes": []}


@router.post("/requests.json", response_model=None)
def create_request(
    session: CaseSessionDep,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Form()] = None,
    service_code: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    address_string: Annotated[str | None, Form()] = None,
) -> list[dict[str, Any]] | JSONResponse:
    if not _key_ok(runtime, api_key):
        return _error(403, "invalid api_key")
    if not service_code or runtime.config.category(service_code) is None:
        return _error(400, "service_code not found")
    try:
        case_in = CaseCreate(
            category=service_code,
            description=description or "",
            phone=phone or "",
            channel="open311",
            lat=lat,
            long=long,
            address=address_string,
        )
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        return _error(400, "invalid or missing: " + ", ".join(fields))
    case = service.create_case(session=session, case_in=case_in, config=runtime.config)
    return [
        {
            "service_request_id": case.case_no,
            "service_notice": f"已受理，{case.deadline.isoformat()} 前答复",
            "account_id": None,
        }
    ]


@router.get("/requests.json", response_model=None)
def list_requests(
    session: CaseSessionDep,
    runtime: RuntimeDep,
    api_key: str | None = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=500)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]] | JSONResponse:
    if not _key_ok(runtime, api_key):
        return _error(403, "invalid api_key")
    stmt = select(Case)
    if service_request_id:
        ids = [i.strip() for i in service_request_id.split(",") if i.strip()][:200]
        stmt = stmt.where(Case.case_no.in_(ids))
    else:
        end = _aware(end_date) or datetime.now(UTC)
        start = _aware(start_date) or end - timedelta(days=90)
        stmt = stmt.where(Case.created_at >= start, Case.created_at <= end)
        if service_code:
            stmt = stmt.where(Case.category.in_([c.strip() for c in service_code.split(",")]))
        if status:
            wanted = {s.strip() for s in status.split(",")}
            statuses = [s.value for s in Status if ("open" if s in OPEN else "closed") in wanted]
            stmt = stmt.where(Case.status.in_(statuses))
    rows = session.scalars(stmt.order_by(Case.created_at.desc()).limit(1000)).all()
    names = {c.code: c.name for c in runtime.config.categories}
    return [_request_json(c, names) for c in rows]


@router.get("/requests/{request_id}.json", response_model=None)
def get_request(
    request_id: str, session: CaseSessionDep, runtime: RuntimeDep, api_key: str | None = None
) -> list[dict[str, Any]] | JSONResponse:
    if not _key_ok(runtime, api_key):
        return _error(403, "invalid api_key")
    case = service.get_case(session=session, case_no=request_id.strip().upper())
    if case is None:
        return _error(404, "service_request_id not found")
    return [_request_json(case, {c.code: c.name for c in runtime.config.categories})]


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=CHINA_TZ)
