"""Open311 GeoReport v2 for other civic systems, in JSON and XML; see docs/open311.md for how our statuses map.

Every endpoint takes the format as its suffix (`.json` or `.xml`). Anything that goes wrong under `/open311`
(a bad parameter, a wrong key or jurisdiction, an unknown format or route) answers in the spec's error list:
`[{"code", "description"}]`, or `<errors><error><code/><description/></error></errors>` in XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import select

from api.cases import service
from api.cases.deps import RuntimeDep
from api.cases.models import Case
from api.cases.runtime import CasesRuntime
from api.cases.schemas import CaseCreate
from api.cases.states import Status, status_name
from api.core import wording
from api.core.clock import CHINA_TZ
from api.core.deps import SessionDep
from api.core.errors import error_route
from civic.privacy import mask_personal

Format = Literal["json", "xml"]
FORMATS: dict[str, Format] = {"json": "json", "xml": "xml"}
XML_MEDIA = "application/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# characters XML 1.0 cannot carry at all (escaping does not help): dropped from user text before it is serialised
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
OPEN = frozenset({Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED})
PREFIX = "/open311"


def _format_of(request: Request) -> Format:
    """The format an error answers in: the route's own suffix, else the path's, else what Accept asks for."""
    named = _fmt(str(request.scope.get("path_params", {}).get("fmt", "")))
    if named is not None:
        return named
    last = request.url.path.rsplit("/", 1)[-1]
    suffix = _fmt(last.rsplit(".", 1)[-1]) if "." in last else None
    if suffix is not None:
        return suffix
    accept = request.headers.get("accept", "")
    return "xml" if "xml" in accept and "json" not in accept else "json"


def _bad_parameters(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
    return error(_format_of(request), 400, "invalid parameter: " + ", ".join(fields))


def _http_error(request: Request, exc: HTTPException) -> Response:
    return error(_format_of(request), exc.status_code, str(exc.detail), headers=exc.headers)


# bad parameters answer in the GeoReport error shape (400, not FastAPI's 422), and so do HTTP errors raised by
# dependencies (503 while the case database is not ready)
Open311Route = error_route("Open311Route", on_validation=_bad_parameters, on_http=_http_error)


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


# ---------------------------------------------------------------- the two formats


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    """One field as an element; a list becomes a wrapper of items (`attributes` → `attribute`, `values` → `value`)."""
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(child, k, v)
    elif isinstance(value, list):
        item_name = name[:-1] if name.endswith("s") else name
        for v in value:
            _append(child, item_name, v)
    else:
        child.text = _text(value)


def to_xml(root: str, item: str | None, data: Sequence[dict[str, Any]] | dict[str, Any]) -> bytes:
    """Built with ElementTree, which escapes every text node: user text never becomes markup."""
    top = ET.Element(root)
    if isinstance(data, dict):
        for k, v in data.items():
            _append(top, k, v)
    else:
        assert item is not None
        for row in data:
            _append(top, item, row)
    return XML_DECLARATION + ET.tostring(top, encoding="unicode").encode("utf-8")


def respond(
    fmt: Format,
    data: Sequence[dict[str, Any]] | dict[str, Any],
    *,
    root: str,
    item: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status_code, media_type=XML_MEDIA, headers=headers)
    return JSONResponse(data, status_code=status_code, headers=headers)


def error(fmt: Format, status: int, description: str, *, headers: Mapping[str, str] | None = None) -> Response:
    """GeoReport errors are a list of {code, description}; in XML, errors/error."""
    return respond(fmt, [{"code": status, "description": description}], root="errors", item="error",
                   status_code=status, headers=headers)  # fmt: skip


# ---------------------------------------------------------------- checks every endpoint makes


def _fmt(value: str) -> Format | None:
    return FORMATS.get(value.lower())


def _unknown_format(value: str, request: Request) -> Response:
    return error(_format_of(request), 400, f"format not supported: {value[:20]} (use json or xml)")


def _jurisdiction_ok(runtime: CasesRuntime, jurisdiction_id: str | None) -> bool:
    """One jurisdiction: the id may be left out; given, it must be the configured one (OPEN311_JURISDICTION_ID)."""
    if not jurisdiction_id:
        return True
    configured = runtime.settings.open311_jurisdiction_id.strip()
    return bool(configured) and jurisdiction_id.strip() == configured


def _checks(
    request: Request, fmt_value: str, runtime: CasesRuntime, jurisdiction_id: str | None
) -> tuple[Format | None, Response | None]:
    fmt = _fmt(fmt_value)
    if fmt is None:
        return None, _unknown_format(fmt_value, request)
    if not _jurisdiction_ok(runtime, jurisdiction_id):
        return fmt, error(fmt, 404, "jurisdiction_id not found")
    return fmt, None


def _key_ok(runtime: CasesRuntime, api_key: str | None) -> bool:
    keys = runtime.open311_keys()
    return bool(api_key) and api_key in keys


# ---------------------------------------------------------------- what a request looks like


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(CHINA_TZ).isoformat(timespec="seconds") if dt else None


def open311_status(case: Case) -> str:
    return "open" if Status(case.status) in OPEN else "closed"


def _status_notes(status: Status, reply: str | None) -> str:
    """The status in words, then the reply when there is one."""
    if reply:
        return wording.say("cases", "open311.status_notes_reply", status=status_name(status), reply=reply)
    return wording.say("cases", "open311.status_notes", status=status_name(status))


def _request_json(case: Case, names: dict[str, str]) -> dict[str, Any]:
    """What the citizen typed (description, address) leaves with its phone and ID numbers masked."""
    status = Status(case.status)
    return {
        "service_request_id": case.case_no,
        "status": open311_status(case),
        "status_notes": _status_notes(status, case.reply),
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


Jurisdiction = Annotated[str | None, Query(max_length=100)]
ApiKeyQuery = Annotated[str | None, Query(alias="api_key", max_length=200)]


# ---------------------------------------------------------------- endpoints


@router.get("/v2/services.{fmt}", response_model=None)
def services(request: Request, fmt: str, runtime: RuntimeDep, jurisdiction_id: Jurisdiction = None) -> Response:
    f, refused = _checks(request, fmt, runtime, jurisdiction_id)
    if refused is not None or f is None:
        return refused or _unknown_format(fmt, request)
    group = wording.text("cases", "open311.group")
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": wording.say(
                "cases", "open311.service_description", group=group, name=c.name, sla_days=c.sla_days
            ),
            "metadata": False,
            "type": "realtime",
            "keywords": c.name,
            "group": group,
        }
        for c in runtime.config.categories
    ]
    return respond(f, rows, root="services", item="service")


@router.get("/v2/services/{service_code}.{fmt}", response_model=None)
def service_definition(
    request: Request, service_code: str, fmt: str, runtime: RuntimeDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    f, refused = _checks(request, fmt, runtime, jurisdiction_id)
    if refused is not None or f is None:
        return refused or _unknown_format(fmt, request)
    if runtime.config.category(service_code) is None:
        return error(f, 404, "service_code not found")
    return respond(f, {"service_code": service_code, "attributes": []}, root="service_definition")


@router.post("/v2/requests.{fmt}", response_model=None)
def create_request(
    request: Request,
    fmt: str,
    session: SessionDep,
    runtime: RuntimeDep,
    api_key_query: ApiKeyQuery = None,
    jurisdiction_query: Annotated[str | None, Query(alias="jurisdiction_id", max_length=100)] = None,
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    jurisdiction_id: Annotated[str | None, Form(max_length=100)] = None,
    service_code: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    address_string: Annotated[str | None, Form()] = None,
) -> Response:
    """The key and the jurisdiction may come in the form body (as the spec has it) or in the query string."""
    f, refused = _checks(request, fmt, runtime, jurisdiction_id or jurisdiction_query)
    if refused is not None or f is None:
        return refused or _unknown_format(fmt, request)
    if not _key_ok(runtime, api_key or api_key_query):
        return error(f, 403, "invalid api_key")
    if not service_code or runtime.config.category(service_code) is None:
        return error(f, 400, "service_code not found")
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
        return error(f, 400, "invalid or missing: " + ", ".join(fields))
    case = service.create_case(session=session, case_in=case_in, config=runtime.config)
    created = {
        "service_request_id": case.case_no,
        "service_notice": wording.say("cases", "open311.service_notice", deadline=case.deadline.isoformat()),
        "account_id": None,
    }
    return respond(f, [created], root="service_requests", item="request")


@router.get("/v2/requests.{fmt}", response_model=None)
def list_requests(
    request: Request,
    fmt: str,
    session: SessionDep,
    runtime: RuntimeDep,
    api_key: ApiKeyQuery = None,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=500)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    f, refused = _checks(request, fmt, runtime, jurisdiction_id)
    if refused is not None or f is None:
        return refused or _unknown_format(fmt, request)
    if not _key_ok(runtime, api_key):
        return error(f, 403, "invalid api_key")
    stmt = select(Case)
    if service_request_id:
        ids = [i.strip().upper() for i in service_request_id.split(",") if i.strip()][:200]
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
    return respond(f, [_request_json(c, names) for c in rows], root="service_requests", item="request")


@router.get("/v2/requests/{request_id}.{fmt}", response_model=None)
def get_request(
    request: Request,
    request_id: str,
    fmt: str,
    session: SessionDep,
    runtime: RuntimeDep,
    api_key: ApiKeyQuery = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    f, refused = _checks(request, fmt, runtime, jurisdiction_id)
    if refused is not None or f is None:
        return refused or _unknown_format(fmt, request)
    if not _key_ok(runtime, api_key):
        return error(f, 403, "invalid api_key")
    case = service.get_case(session=session, case_no=request_id.strip().upper())
    if case is None:
        return error(f, 404, "service_request_id not found")
    names = {c.code: c.name for c in runtime.config.categories}
    return respond(f, [_request_json(case, names)], root="service_requests", item="request")


@router.api_route(
    "/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False
)
def unknown(request: Request, rest: str) -> Response:
    """Last under the prefix: a known path with another method is 405, anything else 404, in the spec's shape."""
    fmt = _format_of(request)
    allowed = sorted(
        {m for r in router.routes if isinstance(r, APIRoute) and r.endpoint is not unknown
         and r.path_regex.match(request.url.path) for m in (r.methods or ())}
    )  # fmt: skip
    if allowed:
        return error(fmt, 405, f"method not allowed: {request.method}", headers={"Allow": ", ".join(allowed)})
    return error(fmt, 404, "not found: " + _text(request.url.path)[:200])


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=CHINA_TZ)
