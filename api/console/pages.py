"""Jinja2 (autoescape on) rendering and the HTML error pages of the console routes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.cases.states import Status, status_name
from api.console import security
from api.core import wording
from api.core.clock import CHINA_TZ
from api.core.errors import error_route
from api.handoff.delivery import PUSHED
from api.handoff.models import HandoffDelivery

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def beijing(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(CHINA_TZ).strftime(fmt) if at else ""


def _status_name(value: str | None) -> str:
    return status_name(Status(value)) if value else ""


env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["beijing"] = beijing
env.filters["status_name"] = _status_name


def _role_name(value: str | None) -> str:
    """agent / supervisor / admin in the console's words (api/wording/workorders.yml `roles`)."""
    names = wording.table("workorders", "roles")
    return names.get(value or "", value or "")


env.filters["role_name"] = _role_name
env.filters["handoff_status"] = lambda v: wording.table("handoffs", "statuses").get(v, v)


def delivery_label(d: HandoffDelivery) -> str:
    """The state of a line sent to the citizen (api/handoff/delivery.py), as the agent reads it in the thread."""
    if d.state == "sent":
        return wording.text("console", "delivery.delivered" if d.channel not in PUSHED else "delivery.sent")
    error = d.last_error or wording.text("console", "delivery.unknown_error")
    if d.state == "failed":
        return wording.say("console", "delivery.failed", error=error)
    if d.channel not in PUSHED:
        return wording.text("console", "delivery.waiting_for_widget")
    if d.attempts:
        return wording.say("console", "delivery.retrying", attempts=d.attempts, error=error)
    return wording.text("console", "delivery.sending")


env.filters["delivery_label"] = delivery_label


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    user = ctx.pop("user", None) or getattr(request.state, "console_user", None)
    html = env.get_template(name).render(
        request=request,
        user=user,
        csrf=getattr(request.state, "csrf", ""),
        path=request.url.path,
        **ctx,
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def login_page(request: Request, status_code: int = 200, error: str | None = None) -> HTMLResponse:
    token = request.cookies.get(security.LOGIN_CSRF_COOKIE) or security.new_login_csrf()
    resp = render(request, "login.html", status_code, login_csrf=token, error=error)
    resp.set_cookie(
        security.LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.app_env == "production",
        path=security.COOKIE_PATH,
    )
    return resp


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _error_page(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 303 and exc.headers:
        return see_other(exc.headers["Location"])
    if exc.status_code == 401:
        return login_page(request, 401)
    wants_json = "application/json" in request.headers.get("accept", "")
    if wants_json or request.url.path.startswith("/console/api/"):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    return render(request, "error.html", exc.status_code, message=str(exc.detail), code=exc.status_code)


def _form_error_page(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
    return render(
        request, "error.html", 422, message=wording.say("console", "form_error", fields="、".join(fields)), code=422
    )


# errors as pages: 401 shows the login form, 303 follows, the rest an error page with the same status
ConsoleRoute = error_route("ConsoleRoute", on_validation=_form_error_page, on_http=_error_page)
