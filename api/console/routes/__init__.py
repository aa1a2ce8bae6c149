"""`/console`, one module per screen; every route names its minimum role, posts carry the CSRF token, pages are
rendered on the server.

Each screen's router uses ConsoleRoute (errors as pages) and the security dependencies; this router puts them
under `/console`, in the order they are matched.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.console.pages import STATIC_DIR, ConsoleRoute
from api.console.routes import callers, cases, figures, gaps, handoffs, search, session, users

router = APIRouter(prefix="/console", tags=["console"], route_class=ConsoleRoute, include_in_schema=False)

router.include_router(session.router)  # login, logout, password
# `/console` itself is the search screen: a route with an empty path can only sit on the prefixed router
router.add_api_route("", search.home, methods=["GET"], response_class=HTMLResponse)
router.include_router(search.router)  # the live search and the QR codes
router.include_router(cases.router)  # the case queue, 督办, 来电登记, one case and its work-order actions
router.include_router(callers.router)  # a caller's history
router.include_router(handoffs.router)  # 转人工
router.include_router(gaps.router)  # 知识缺口
router.include_router(figures.router)  # 数据
router.include_router(users.router)  # staff accounts (admin)


def install(app: FastAPI) -> None:
    """The routes and the local static assets (CSS, JS): no CDN."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")


__all__ = ["install", "router"]
