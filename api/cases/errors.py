"""422s in plain Chinese for citizens, with the field name for developers, and never echoing what was typed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.core import wording
from api.core.errors import error_route
from civic.channels import CitizenChannel

WORDING = "cases"  # api/wording/cases.yml `errors`


def _field_message(field: str, err_type: str) -> str:
    """The most specific line there is: for this field and error, for this field, or the generic one."""
    by_type = wording.entry(WORDING, "errors.specific").get(field)
    if isinstance(by_type, dict) and err_type in by_type:
        return str(by_type[err_type])
    fields = wording.table(WORDING, "errors.fields")
    if field == "channel":  # the channels a citizen files under, named by the one list (civic/channels.py)
        *first, last = get_args(CitizenChannel)
        return wording.say(WORDING, "errors.fields.channel", channels="、".join(first), last=last)
    return fields.get(field) or wording.text(WORDING, "errors.generic")


def error_item(loc: Sequence[str | int], err_type: str, msg: str | None = None) -> dict[str, Any]:
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "body")
    text = msg or _field_message(field, err_type)
    return {"loc": list(loc), "field": field, "type": err_type, "msg": text}


def translate(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [error_item(tuple(e.get("loc", ())), str(e.get("type", "value_error"))) for e in errors]


def unprocessable(field: str, err_type: str, msg: str | None = None, where: str = "body") -> JSONResponse:
    return JSONResponse({"detail": [error_item((where, field), err_type, msg)]}, status_code=422)


def _chinese_422(_request: Request, exc: RequestValidationError) -> Response:
    return JSONResponse({"detail": translate(exc.errors())}, status_code=422)


# per router, so the other routers of the gateway keep FastAPI's default 422
ChineseErrorsRoute = error_route("ChineseErrorsRoute", on_validation=_chinese_422)
