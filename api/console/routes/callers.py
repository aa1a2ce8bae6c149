"""`/console/callers`: 来电人 — a caller's cases, handoffs and chat turns by phone number or by one of their case
numbers; every search by number is audited (who, which masked number, when) and supervisors see the recent ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.cases import service, workorders
from api.cases.deps import CaseConfigDep
from api.console.pages import ConsoleRoute, render
from api.console.routes.cases import case_row
from api.console.security import AgentUser
from api.core import wording
from api.core.clock import china_today
from api.core.deps import SessionDep
from api.deps import CatalogueDep
from civic.phone import normalize_phone

router = APIRouter(route_class=ConsoleRoute)


@router.get("/callers", response_class=Response)
def callers(
    request: Request,
    user: AgentUser,
    session: SessionDep,
    config: CaseConfigDep,
    cat: CatalogueDep,
    q: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """来电人: by number (the search is audited: who, which masked number, when) or by one of their case numbers."""
    q = q.strip()
    page: dict[str, Any] = {"q": q, "history": None, "error": None}
    number, case_no = None, None
    if q:
        if q.upper().startswith("YS"):
            case = service.get_case(session=session, case_no=q.upper())
            if case is None:
                page["error"] = wording.text("workorders", "caller_no_case")
            else:
                number, case_no = case.phone, case.case_no
        else:
            number = normalize_phone(q)
            if number is None:
                page["error"] = wording.text("workorders", "caller_bad_query")
    if number is not None:
        history = workorders.caller_history(session=session, phone=number)
        workorders.record_lookup(session=session, user=user, phone=number, found=len(history.cases), case_no=case_no)
        today = china_today()
        page["history"] = history
        page["rows"] = [case_row(c, config, today, cat) for c in history.cases]
        page["q"] = case_no or history.phone_masked  # the number typed is not echoed back
    lookups = workorders.recent_lookups(session=session) if workorders.is_supervisor(user) else []
    status_code = 422 if page["error"] else 200
    return render(request, "callers.html", status_code, user=user, lookups=lookups, **page)
