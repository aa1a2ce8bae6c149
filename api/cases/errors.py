"""422s in plain Chinese for citizens, with the field name for developers, and never echoing what was typed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.core.errors import error_route

GENERIC = "填写的内容有误，请检查后再试"
FIELD_MESSAGES: dict[str, str] = {
    "description": "请填写您遇到的问题",
    "phone": "请填写正确的手机号（如 13812345678）或座机号码（如 0371-61234567）",
    "category": "请从列表中选择反映类别",
    "channel": "渠道不对，应为 wechat、miniprogram、telegram、widget 或 web",
    "score": "评分请选 1 到 5 之间的整数",
    "phone_last4": "请填写您手机号的后四位数字",
    "comment": "评价内容请不要超过 500 字",
    "idempotency_key": "idempotency_key 应为 1 到 128 个字符",
    "item_id": "办事事项编号不对",
    "window_id": "窗口编号不对",
    "text": "请填写内容（不超过 2000 字）",
    "to": "目标状态不对",
}
SPECIFIC: dict[tuple[str, str], str] = {
    ("description", "string_too_long"): "问题描述请不要超过 2000 字",
    ("description", "missing"): "请填写您遇到的问题",
    ("description", "string_too_short"): "请填写您遇到的问题",
    ("phone", "missing"): "请留下您的联系电话，方便我们答复您",
    ("body", "json_invalid"): "请求内容不是有效的 JSON",
    ("body", "missing"): "请求内容不能为空",
}


def error_item(loc: Sequence[str | int], err_type: str, msg: str | None = None) -> dict[str, Any]:
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "body")
    text = msg or SPECIFIC.get((field, err_type)) or FIELD_MESSAGES.get(field) or GENERIC
    return {"loc": list(loc), "field": field, "type": err_type, "msg": text}


def translate(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [error_item(tuple(e.get("loc", ())), str(e.get("type", "value_error"))) for e in errors]


def unprocessable(field: str, err_type: str, msg: str | None = None, where: str = "body") -> JSONResponse:
    return JSONResponse({"detail": [error_item((where, field), err_type, msg)]}, status_code=422)


def _chinese_422(_request: Request, exc: RequestValidationError) -> Response:
    return JSONResponse({"detail": translate(exc.errors())}, status_code=422)


# per router, so the other routers of the gateway keep FastAPI's default 422
ChineseErrorsRoute = error_route("ChineseErrorsRoute", on_validation=_chinese_422)
