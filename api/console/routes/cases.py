"""`/console/cases`, `/console/supervision`: the 12345 work order from 来电登记 through 派单, 签收 or 退回, 延期,
答复 and 回访, and merging duplicates.

Every action calls one function of api/cases/workorders.py (or api/cases/service.py), the same ones the staff API
calls, and finds the case and words a refusal as it does (api/cases/actions.py); the wording of these pages is in
the templates and api/wording/workorders.yml.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts.models import StaffUser
from api.cases import actions, service, timeline, workorders
from api.cases.config import CaseConfig
from api.cases.deps import CaseConfigDep
from api.cases.models import Case
from api.cases.schemas import CaseCreate
from api.cases.states import (
    OVERDUE_CANDIDATES,
    RATEABLE,
    TRANSITIONS,
    Status,
    manual_targets,
    status_names,
)
from api.console.forms import FormDep, form_text
from api.console.pages import ConsoleRoute, render, see_other
from api.console.security import COOKIE_PATH, AgentUser, SupervisorUser
from api.core import wording
from api.core.clock import china_today
from api.core.deps import SessionDep
from api.deps import CatalogueDep, StateDep, get_state
from civic.phone import mask_phone
from civic.privacy import mask_personal
from index.catalogue import Catalogue

router = APIRouter(route_class=ConsoleRoute)
CaseNo = Annotated[str, PathParam(min_length=1, max_length=32)]
DONE_COOKIE = "console_done"
ITEM_SUGGESTIONS = 8


# ---------------------------------------------------------------- rows and lists


def entry_name(cat: Catalogue | None, entry_id: str | None) -> str | None:
    """事项 and 窗口 by name; an id the guides no longer have stays visible as it is."""
    if not entry_id:
        return None
    entry = cat.get(entry_id) if cat is not None else None
    return entry.name if entry else entry_id


def case_row(case: Case, config: CaseConfig, today: Any, cat: Catalogue | None = None) -> dict[str, Any]:
    cat_ = config.category(case.category)
    status = Status(case.status)
    rtype = config.request_type(case.request_type)
    return {
        "case": case,
        "category_name": cat_.name if cat_ else case.category,
        "request_type_name": rtype.name if rtype else "",
        "department_name": config.departments.name_of(case.department),
        "channel_name": timeline.wording().channel(case.channel),
        "item_name": entry_name(cat, case.item_id),
        "window_name": entry_name(cat, case.window_id),
        "phone": mask_phone(case.phone),
        "description": mask_personal(case.description),
        "overdue": service.is_overdue(case, today),
        "days_left": (case.deadline - today).days,
        "open": status in OVERDUE_CANDIDATES and case.duplicate_of_id is None,
        "awaiting_visit": status is Status.REPLIED,
        "duplicate_of": case.duplicate_of.case_no if case.duplicate_of is not None else None,
    }


@router.get("/cases", response_class=Response)
def cases(
    request: Request,
    user: AgentUser,
    session: SessionDep,
    config: CaseConfigDep,
    cat: CatalogueDep,
    status: Annotated[str, Query(max_length=16)] = "",
    category: Annotated[str, Query(max_length=32)] = "",
    department: Annotated[str, Query(max_length=64)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    try:
        st = Status(status) if status else None
    except ValueError:
        raise HTTPException(status_code=422, detail=wording.text("console", "cases.bad_status")) from None
    dept = config.departments.find(department)
    flt = service.CaseFilter(
        status=st,
        category=category or None,
        department=(dept.code if dept else department) or None,
        overdue={"yes": True, "no": False}.get(overdue),
    )
    rows, total = service.list_cases(session=session, flt=flt, limit=200)
    today = china_today()
    mine = config.departments.find(user.department)
    return render(
        request,
        "cases.html",
        user=user,
        rows=[case_row(c, config, today, cat) for c in rows],
        total=total,
        statuses=status_names(),
        categories=config.categories,
        departments=config.departments.departments,
        my_department=mine,
        f={"status": status, "category": category, "department": dept.code if dept else department, "overdue": overdue},
        title=wording.text("console", "cases.queue_title"),
    )


@router.get("/supervision", response_class=Response)
def supervision(
    request: Request, user: SupervisorUser, session: SessionDep, config: CaseConfigDep, cat: CatalogueDep
) -> Response:
    """督办: overdue (督办 included), everything reopened or overdue waiting for a supervisor, 延期 requests to decide,
    and the cases departments 退回ed to their dispatcher."""
    today = china_today()
    overdue_rows, _ = service.list_cases(session=session, flt=service.CaseFilter(overdue=True), limit=200)
    supervised, _ = service.list_cases(session=session, flt=service.CaseFilter(status=Status.SUPERVISED), limit=200)
    extensions = session.scalars(
        select(Case).where(Case.extension_days.is_not(None)).order_by(Case.deadline, Case.id)
    ).all()
    returned = session.scalars(
        select(Case)
        .where(Case.status == Status.RECEIVED.value, Case.dispatched_by.is_not(None))
        .order_by(Case.deadline, Case.id)
    ).all()
    return render(
        request,
        "supervision.html",
        user=user,
        overdue=[case_row(c, config, today, cat) for c in overdue_rows],
        supervised=[case_row(c, config, today, cat) for c in supervised],
        extensions=[case_row(c, config, today, cat) for c in extensions],
        returned=[case_row(c, config, today, cat) for c in returned],
    )


# ---------------------------------------------------------------- 来电登记


def _new_case_page(
    request: Request,
    user: StaffUser,
    config: CaseConfig,
    values: dict[str, str],
    *,
    status_code: int = 200,
    error: str | None = None,
    idem: str | None = None,
) -> Response:
    return render(
        request,
        "case_new.html",
        status_code,
        user=user,
        categories=config.categories,
        request_types=config.request_types,
        values=values,
        idem=idem or secrets.token_urlsafe(16),
        error=error,
    )


@router.get("/cases/new", response_class=Response)
def new_case(
    request: Request,
    user: AgentUser,
    config: CaseConfigDep,
    cat: CatalogueDep,
    item_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    entry = cat.item(item_id) if item_id else None
    values = {"item_id": entry.id if entry else "", "item_name": entry.name if entry else ""}
    return _new_case_page(request, user, config, values)


def find_items(cat: Catalogue, searcher: Any, q: str, k: int = ITEM_SUGGESTIONS) -> list[dict[str, str]]:
    """Items by name as the agent types: names containing the words first, then the search index's hits (aliases,
    colloquial wording), items only; the index is optional so the form works while it loads."""
    q = q.strip()
    if not q:
        return []
    found: dict[str, str] = {i.id: i.name for i in cat.items.values() if q in i.name}
    if searcher is not None and len(found) < k:
        for hit in searcher.search(q, k=k * 2).hits:
            item = cat.items.get(hit.id)
            if item is not None:
                found.setdefault(item.id, item.name)
    return [{"id": i, "name": n, "dept": cat.items[i].dept} for i, n in list(found.items())[:k]]


@router.get("/api/items")
def item_search(
    _user: AgentUser, cat: CatalogueDep, state: StateDep, q: Annotated[str, Query(max_length=100)] = ""
) -> JSONResponse:
    return JSONResponse({"items": find_items(cat, state.searcher, q)}, headers={"Cache-Control": "no-store"})


def resolve_item(cat: Catalogue, item_id: str, item_name: str) -> tuple[str | None, bool]:
    """(item id, ok): the picked id, else a typed name matched exactly or by the only name containing it."""
    if item_id and cat.item(item_id) is not None:  # an alias entry's id (same_as) is the item it names
        return cat.resolve(item_id), True
    name = item_name.strip()
    if not name:
        return None, True
    exact = [i.id for i in cat.items.values() if i.name == name]
    if exact:
        return exact[0], True
    partial = [i.id for i in cat.items.values() if name in i.name]
    return (partial[0], True) if len(partial) == 1 else (None, False)


@router.post("/cases")
def file_case(
    request: Request, form: FormDep, user: AgentUser, session: SessionDep, config: CaseConfigDep, cat: CatalogueDep
) -> Response:
    """A caller's work order, channel hotline, filed by the agent: the phone is typed once here and masked after."""
    values = {
        k: form.get(k, "")
        for k in ("category", "request_type", "caller_name", "address", "description", "phone", "item_id", "item_name")
    }
    idem = form.get("idem") or secrets.token_urlsafe(16)
    item_id, item_ok = resolve_item(cat, values["item_id"].strip(), values["item_name"])
    if item_id:
        values["item_id"], values["item_name"] = item_id, cat.items[item_id].name
    if not item_ok:
        error = wording.say("workorders", "item_not_found", name=values["item_name"].strip())
        return _new_case_page(request, user, config, values, status_code=422, error=error, idem=idem)
    data: dict[str, Any] = {
        "category": values["category"],
        "request_type": values["request_type"].strip() or None,
        "caller_name": values["caller_name"].strip()[:64] or None,
        "address": values["address"].strip()[:255] or None,
        "description": values["description"],
        "phone": values["phone"],
        "channel": "hotline",
        "idempotency_key": form.get("idem") or None,
        "item_id": item_id,
    }
    fields = wording.table("workorders", "fields")
    try:
        if not data["request_type"]:
            raise service.UnknownRequestType("")
        case = service.create_case(
            session=session, case_in=CaseCreate(**data), config=config, actor=workorders.actor_of(user)
        )
    except (ValidationError, service.UnknownCategory, service.UnknownRequestType) as exc:
        if isinstance(exc, ValidationError):
            bad = sorted({fields.get(str(e["loc"][0]), str(e["loc"][0])) for e in exc.errors() if e["loc"]})
        else:
            bad = [fields["category" if isinstance(exc, service.UnknownCategory) else "request_type"]]
        return _new_case_page(
            request,
            user,
            config,
            values,
            status_code=422,
            error=wording.say("console", "cases.check", fields="、".join(bad)),
            idem=idem,
        )
    return done_redirect(case, "filed")


# ---------------------------------------------------------------- one case


def _detail(
    request: Request,
    user: StaffUser,
    session: Session,
    config: CaseConfig,
    case: Case,
    *,
    status_code: int = 200,
    error: str | None = None,
    phone: str | None = None,
    description: str | None = None,
) -> Response:
    today = china_today()
    status = Status(case.status)
    cat: Catalogue | None = get_state(request).catalogue
    staff = session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username)).all()
    names = {s.username: s.display_name or s.username for s in staff}
    supervisor = workorders.is_supervisor(user)
    in_department = workorders.belongs(user, case, config)
    item = cat.item(case.item_id) if cat is not None and case.item_id else None
    item_dept = item.dept if item is not None else None
    suggested = config.departments.suggest(category=case.category, item_dept=item_dept)
    done = request.cookies.get(DONE_COOKIE, "")
    not_merged = case.duplicate_of_id is None
    return render(
        request,
        "case_detail.html",
        status_code,
        user=user,
        row=case_row(case, config, today, cat),
        lines=timeline.lines(case, names),
        targets=[(t.value, status_names()[t]) for t in manual_targets(status)],
        can_reply=Status.REPLIED in TRANSITIONS[status] and not_merged,
        can_dispatch=supervisor and Status.FORWARDED in TRANSITIONS[status] and not_merged,
        can_answer_dispatch=status is Status.FORWARDED and (supervisor or in_department),
        can_extend=status in (Status.IN_PROGRESS, Status.SUPERVISED)
        and case.extension_days is None
        and (supervisor or in_department),
        can_decide=supervisor and case.extension_days is not None,
        can_visit=status is Status.REPLIED,
        can_merge=supervisor and status not in RATEABLE and not_merged,
        can_assign=supervisor or in_department,
        departments=config.departments.departments,
        suggested=suggested,
        extension_max=config.extension_max_days,
        visit_results=timeline.wording().visit_results,
        duplicates=service.duplicates_of(session=session, case=case),
        staff=staff,
        names=names,
        is_supervisor=supervisor,
        done=wording.table("workorders", "done").get(done) if not error else None,
        error=error,
        phone=phone,
        description=description,
    )


@router.get("/cases/{case_no}", response_class=Response)
def case_detail(
    request: Request, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    page = _detail(request, user, session, config, actions.load_case(session, case_no))
    if DONE_COOKIE in request.cookies:  # the success line is shown once
        page.delete_cookie(DONE_COOKIE, path=COOKIE_PATH)
    return page


def done_redirect(case: Case, done: str) -> Response:
    """Back to the case after an action, with the success line in a one-shot cookie (the URL stays the case's)."""
    resp = see_other(f"/console/cases/{case.case_no}")
    resp.set_cookie(DONE_COOKIE, done, max_age=60, httponly=True, samesite="strict", path=COOKIE_PATH)
    return resp


def _act(
    request: Request,
    user: StaffUser,
    session: Session,
    config: CaseConfig,
    case: Case,
    done: str,
    action: Callable[..., Case],
    **kwargs: Any,
) -> Response:
    """Run one work-order function; a refusal shows the case again with the reason, success reloads it."""
    try:
        result = action(session=session, case=case, user=user, config=config, **kwargs)
    except actions.REFUSALS as exc:
        session.rollback()
        code, message = actions.refusal(exc)
        if code == 403:
            raise HTTPException(status_code=403, detail=message) from None
        return _detail(request, user, session, config, case, status_code=code, error=message)
    return done_redirect(result, done)


@router.post("/cases/{case_no}/transition")
def case_transition(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    try:
        target = Status(form.get("to", ""))
    except ValueError:
        return _detail(
            request, user, session, config, case, status_code=422, error=wording.text("console", "cases.no_target")
        )
    return _act(
        request, user, session, config, case, "transition", workorders.change_status, target=target,
        note=form_text(form, "note"),
    )  # fmt: skip


@router.post("/cases/{case_no}/reply")
def case_reply(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    return _act(request, user, session, config, case, "reply", workorders.answer, text=form_text(form, "text") or "")


@router.post("/cases/{case_no}/note")
def case_note(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    text = form_text(form, "text")
    if not text:
        return _detail(
            request, user, session, config, case, status_code=422, error=wording.text("console", "cases.no_note")
        )
    service.add_note(session=session, case=case, text=text, actor=workorders.actor_of(user), config=config)
    return done_redirect(case, "note")


@router.post("/cases/{case_no}/assign")
def case_assign(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    """经办人; a department given here (the form of before) is a 派单."""
    case = actions.load_case(session, case_no)
    if (form.get("department") or "").strip():
        return case_dispatch(request, form, case_no, user, session, config)
    name = (form.get("assignee") or "").strip()[:64]
    assignee = session.scalar(select(StaffUser).where(StaffUser.username == name)) if name else None
    if assignee is None:
        return _detail(
            request, user, session, config, case, status_code=422, error=wording.text("console", "cases.no_assignee")
        )
    return _act(request, user, session, config, case, "assign", workorders.set_assignee, assignee=assignee)


@router.post("/cases/{case_no}/dispatch")
def case_dispatch(
    request: Request,
    form: FormDep,
    case_no: CaseNo,
    user: SupervisorUser,
    session: SessionDep,
    config: CaseConfigDep,
) -> Response:
    case = actions.load_case(session, case_no)
    dept = config.departments.find((form.get("department") or "")[:64])
    if dept is None:
        return _detail(
            request, user, session, config, case, status_code=422, error=wording.text("console", "cases.no_department")
        )
    return _act(
        request, user, session, config, case, "dispatch", workorders.dispatch, department=dept,
        note=form_text(form, "note"),
    )  # fmt: skip


@router.post("/cases/{case_no}/accept")
def case_accept(
    request: Request, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    return _act(request, user, session, config, actions.load_case(session, case_no), "accept", workorders.accept)


@router.post("/cases/{case_no}/return")
def case_return(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    return _act(
        request, user, session, config, case, "return", workorders.return_case, reason=form_text(form, "reason") or ""
    )


@router.post("/cases/{case_no}/extension")
def case_extension(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    days = form.get("days", "").strip()
    return _act(
        request, user, session, config, case, "extension", workorders.request_extension,
        days=int(days) if days.isdigit() else 0, reason=form_text(form, "reason") or "",
    )  # fmt: skip


@router.post("/cases/{case_no}/extension/decision")
def case_extension_decision(
    request: Request,
    form: FormDep,
    case_no: CaseNo,
    user: SupervisorUser,
    session: SessionDep,
    config: CaseConfigDep,
) -> Response:
    case = actions.load_case(session, case_no)
    approve = form.get("decision") == "approve"
    return _act(
        request, user, session, config, case, "extension_approved" if approve else "extension_denied",
        workorders.decide_extension, approve=approve, note=form_text(form, "note"),
    )  # fmt: skip


@router.post("/cases/{case_no}/visit")
def case_visit(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    case = actions.load_case(session, case_no)
    result = form.get("result", "").strip()
    if not result.isdigit():
        return _detail(
            request,
            user,
            session,
            config,
            case,
            status_code=422,
            error=wording.text("console", "cases.no_visit_result"),
        )
    score = int(result)
    done = "visit_unreached" if score == workorders.VISIT_UNREACHED else "visit"
    return _act(
        request, user, session, config, case, done, workorders.record_visit, score=score, note=form_text(form, "note")
    )


@router.post("/cases/{case_no}/merge")
def case_merge(
    request: Request,
    form: FormDep,
    case_no: CaseNo,
    user: SupervisorUser,
    session: SessionDep,
    config: CaseConfigDep,
) -> Response:
    case = actions.load_case(session, case_no)
    into = (form.get("into") or "").strip().upper()[:32]
    main = service.get_case(session=session, case_no=into) if into else None
    if main is None:
        return _detail(
            request, user, session, config, case, status_code=422, error=wording.text("console", "cases.no_main_case")
        )
    return _act(request, user, session, config, case, "merge", workorders.mark_duplicate, main=main)


@router.post("/cases/{case_no}/phone", response_class=Response)
def case_phone(
    request: Request, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    """The full number only on purpose (to call back), and the look is written into the timeline."""
    case = actions.load_case(session, case_no)
    phone = actions.reveal(session=session, case=case, user=user, config=config, what="phone")
    return _detail(request, user, session, config, case, phone=phone)


@router.post("/cases/{case_no}/description", response_class=Response)
def case_description(
    request: Request, case_no: CaseNo, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    """The story with its phone and ID numbers, only on purpose (to act on them), audited like the phone."""
    case = actions.load_case(session, case_no)
    description = actions.reveal(session=session, case=case, user=user, config=config, what="description")
    return _detail(request, user, session, config, case, description=description)
