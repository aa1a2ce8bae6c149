"""One way for a router to answer its own errors: `route_class=error_route(...)` on that router only.

A router hands in what a validation error (FastAPI's 422) and an HTTPException raised by a route or a
dependency become on it — plain Chinese JSON for citizens, the GeoReport shape for Open311, pages for the
console; the other routers of the gateway keep FastAPI's defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

ValidationAnswer = Callable[[Request, RequestValidationError], Response]
HTTPErrorAnswer = Callable[[Request, HTTPException], Response]


def error_route(
    name: str, *, on_validation: ValidationAnswer | None = None, on_http: HTTPErrorAnswer | None = None
) -> type[APIRoute]:
    """An APIRoute class whose handler turns the errors it is given an answer for into that answer."""

    class ErrorRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await original(request)
                except RequestValidationError as exc:
                    if on_validation is None:
                        raise
                    return on_validation(request, exc)
                except HTTPException as exc:
                    if on_http is None:
                        raise
                    return on_http(request, exc)

            return handler

    ErrorRoute.__name__ = ErrorRoute.__qualname__ = name
    return ErrorRoute
