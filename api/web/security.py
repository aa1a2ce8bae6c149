"""Gateway-wide protection: CORS allow-list, security headers, and errors without stack traces."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from api.chat.content import load_messages
from api.settings import Settings

log = logging.getLogger("api.web")

DOCS_PREFIXES = ("/api/docs", "/api/openapi.json")  # Swagger UI loads its own assets; it keeps FastAPI's defaults


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def content_security_policy(settings: Settings) -> str:
    ancestors = " ".join(["'self'", *split_list(settings.frame_ancestors)])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {ancestors}"
    )


def install_protection(app: FastAPI, settings: Settings) -> None:
    """Call once from create_app, after the routers are included."""
    csp = content_security_policy(settings)
    messages = load_messages()

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        try:
            response: Response = await call_next(request)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = JSONResponse({"detail": messages.text("refusal", "server_error")}, status_code=500)
        h = response.headers
        is_html = h.get("content-type", "").startswith("text/html")
        if is_html and not request.url.path.startswith(DOCS_PREFIXES):  # CSP governs documents, not assets
            h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    origins = split_list(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Chat-Channel", "X-Handoff-Key"],  # the widget's headers
            max_age=600,
        )

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": messages.text("refusal", "server_error")}, status_code=500)
