"""`/console`: every route names its minimum role; posts carry the CSRF token; pages are rendered on the server."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.answer.service import Answerer
from api.cases import auth, service
from api.cases.auth import Role
from api.cases.config import CaseConfig
from api.cases.deps import CaseConfigDep, CaseSessionDep, GuesserDep, RuntimeDep
from api.cases.guesses import retry_after
from api.cases.models import Case, StaffUser
from api.cases.phone import mask_phone
from api.cases.schemas import MAX_DESCRIPTION, CaseCreate
from api.cases.states import OVERDUE_CANDIDATES, STATUS_NAMES, TRANSITIONS, IllegalTransition, Status
from api.cases.workdays import china_today
from api.chat.content import load_messages
from api.console import charts, figures, gaps, security, talk
from api.console.pages import STATIC_DIR, ConsoleRoute, beijing, delivery_label, login_page, render, see_other
from api.console.security import AdminUser, AgentUser, SupervisorUser
from api.deps import CatalogueDep, StateDep
from api.handoff import delivery as handoff_delivery
from api.handoff import service as handoff_service
from api.handoff.models import Handoff, HandoffMessage
from civic.privacy import mask_personal

router = APIRouter(prefix="/console", tags=["console"], route_class=ConsoleRoute, include_in_schema=False)
CaseNo = Annotated[str, Path(min_length=1, max_length=32)]
FormText = Annotated[str, Query(max_length=MAX_DESCRIPTION)]


def install(app: FastAPI) -> None:
    """The routes and the local static assets (CSS, JS): no CDN."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")


def actor_of(user: StaffUser) -> str:
    return f"staff:{user.username}"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# Routes are sync (the threadpool), so a SQLite lock wait or argon2 never stalls the event loop.
FormDep = Annotated[dict[str, str], Depends(_form)]


# ---------------------------------------------------------------- login, logout, password


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return login_page(request)


@router.post("/login")
def login(request: Request, form: FormDep, runtime: RuntimeDep, guesser: GuesserDep) -> Response:
    cookie = request.cookies.get(security.LOGIN_CSRF_COOKIE, "")
    given = form.get("csrf_token", "")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        return render(request, "error.html", 403, message="页面已过期，请刷新登录页再试", code=403)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")[:256]
    key = auth.login_key(username)  # the staff API counts the same guesses (api/cases/routes_staff.py)
    wait = runtime.logins.attempt(key, guesser) if username else 0.0
    if wait:
        page = login_page(request, 429, error=load_messages().text("cases", "too_many_logins"))
        page.headers.update(retry_after(wait))
        return page
    with runtime.db.sessions() as session:
        user = auth.authenticate(session=session, username=username, password=password) if username else None
        if user is None:
            return login_page(request, 401, error="用户名或密码不对")
        runtime.logins.succeeded(key, guesser)
        token, _ = auth.issue_token(session=session, user=user, ttl=timedelta(hours=runtime.settings.staff_token_hours))
        must_change = user.must_change_password
    resp = see_other("/console/password" if must_change else "/console")
    resp.set_cookie(
        security.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.app_env == "production",
        max_age=runtime.settings.staff_token_hours * 3600,
        path=security.COOKIE_PATH,
    )
    resp.delete_cookie(security.LOGIN_CSRF_COOKIE, path=security.COOKIE_PATH)
    return resp


@router.post("/logout")
def logout(request: Request, session: CaseSessionDep, _user: AgentUser) -> Response:
    token = request.cookies.get(security.SESSION_COOKIE)
    if token:
        auth.revoke_token(session=session, token=token)
    resp = see_other("/console/login")
    resp.delete_cookie(security.SESSION_COOKIE, path=security.COOKIE_PATH)
    return resp


@router.get("/password", response_class=HTMLResponse)
def password_form(request: Request, user: AgentUser) -> Response:
    return render(request, "password.html", user=user)


@router.post("/password")
def change_password(request: Request, form: FormDep, session: CaseSessionDep, user: AgentUser) -> Response:
    current, new, again = form.get("current", ""), form.get("new", ""), form.get("again", "")
    error = None
    if auth.authenticate(session=session, username=user.username, password=current) is None:
        error = "当前密码不对"
    elif new != again:
        error = "两次输入的新密码不一样"
    elif len(new) < auth.MIN_PASSWORD:
        error = f"新密码至少 {auth.MIN_PASSWORD} 个字符"
    elif new == current:
        error = "新密码不能和当前密码一样"
    if error:
        return render(request, "password.html", 422, user=user, error=error)
    auth.reset_password(session=session, username=user.username, password=new)  # ends every older session
    db_user = session.get(StaffUser, user.id)
    assert db_user is not None
    db_user.must_change_password = False
    session.commit()
    resp = see_other("/console/login")
    resp.delete_cookie(security.SESSION_COOKIE, path=security.COOKIE_PATH)
    return resp


# ---------------------------------------------------------------- search-first screen


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: AgentUser, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    return render(request, "search.html", user=user, q=q)


def _public_url(request: Request, path: str) -> str:
    """Links read out or scanned by callers: the configured site, never the request's Host (anyone can send one)."""
    base: str = request.app.state.settings.public_base_url
    return base.rstrip("/") + path


def _card_json(request: Request, cat: Any, entry_id: str, score: float | None = None) -> dict[str, Any] | None:
    card = talk.card_for(cat, entry_id)
    if card is None:
        return None
    url = _public_url(request, card.path)
    return {
        "id": card.id,
        "kind": card.kind,
        "name": card.name,
        "summary": card.summary,
        "script": card.script,
        "materials": card.materials,
        "window": card.window,
        "bundles": card.bundles,
        "members": card.members,
        "time_limit": card.time_limit,
        "url": url,
        "qr": f"/console/qr/{card.id}.svg",
        "score": score,
    }


def _short_answer(request: Request, q: str) -> dict[str, Any] | None:
    """What the assistant would tell the caller first (the asked fact, or the centre's hours, address…): the
    same answer decision as every chat channel, so the agent reads out what a citizen would read."""
    answerer: Answerer | None = getattr(request.app.state, "answerer", None)
    if answerer is None:
        return None
    a = answerer.answer(q)
    if a.decision not in ("answer", "site"):
        return None
    lines = [m.text for m in a.messages if m.type == "text" and m.text]
    return {"decision": a.decision, "asked": a.asked, "id": a.route.id, "text": "\n".join(lines)} if lines else None


@router.get("/api/search")
def search_api(
    request: Request,
    _user: AgentUser,
    state: StateDep,
    q: Annotated[str, Query(max_length=200)] = "",
    k: Annotated[int, Query(ge=1, le=10)] = 5,
) -> JSONResponse:
    """As the agent types: the top hits, each with its card and 话术 (well under 100 ms on the server)."""
    t0 = time.perf_counter()
    if state.searcher is None:
        raise HTTPException(status_code=503, detail="搜索索引还没有加载好")
    if not q.strip():
        return JSONResponse({"query": q, "confident": False, "took_ms": 0.0, "results": []})
    result = state.searcher.search(q, k=k)
    cards = [_card_json(request, state.catalogue, h.id, h.score) for h in result.hits]
    took = (time.perf_counter() - t0) * 1000
    return JSONResponse(
        {
            "query": q,
            "confident": result.confident,
            "took_ms": round(took, 1),
            "answer": _short_answer(request, q),
            "results": [c for c in cards if c is not None],
        },
        headers={"Cache-Control": "no-store", "Server-Timing": f"search;dur={took:.1f}"},
    )


@router.get("/qr/{entry_id}.svg")
def qr(
    request: Request, entry_id: Annotated[str, Path(max_length=64)], _user: AgentUser, cat: CatalogueDep
) -> Response:
    if cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=404, detail="没有这个办事指南")
    url = _public_url(request, f"/guides/{entry_id}")
    return Response(talk.qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


# ---------------------------------------------------------------- cases


def _case_row(case: Case, config: CaseConfig, today: Any) -> dict[str, Any]:
    cat = config.category(case.category)
    return {
        "case": case,
        "category_name": cat.name if cat else case.category,
        "phone": mask_phone(case.phone),
        "description": mask_personal(case.description),
        "overdue": service.is_overdue(case, today),
        "days_left": (case.deadline - today).days,
        "open": Status(case.status) in OVERDUE_CANDIDATES,
    }


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    user: AgentUser,
    session: CaseSessionDep,
    config: CaseConfigDep,
    status: Annotated[str, Query(max_length=16)] = "",
    category: Annotated[str, Query(max_length=32)] = "",
    department: Annotated[str, Query(max_length=64)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    try:
        st = Status(status) if status else None
    except ValueError:
        raise HTTPException(status_code=422, detail="状态不对") from None
    flt = service.CaseFilter(
        status=st,
        category=category or None,
        department=department or None,
        overdue={"yes": True, "no": False}.get(overdue),
    )
    rows, total = service.list_cases(session=session, flt=flt, limit=200)
    today = china_today()
    departments = sorted({d for d in session.scalars(select(Case.department).distinct()) if d})
    return render(
        request,
        "cases.html",
        user=user,
        rows=[_case_row(c, config, today) for c in rows],
        total=total,
        statuses=STATUS_NAMES,
        categories=config.categories,
        departments=departments,
        f={"status": status, "category": category, "department": department, "overdue": overdue},
        title="案件队列",
    )


@router.get("/supervision", response_class=HTMLResponse)
def supervision(request: Request, user: SupervisorUser, session: CaseSessionDep, config: CaseConfigDep) -> Response:
    """督办: overdue without a reply, and everything reopened (差评 or overdue) waiting for a supervisor."""
    today = china_today()
    overdue_rows, _ = service.list_cases(session=session, flt=service.CaseFilter(overdue=True), limit=200)
    supervised, _ = service.list_cases(session=session, flt=service.CaseFilter(status=Status.SUPERVISED), limit=200)
    return render(
        request,
        "supervision.html",
        user=user,
        overdue=[_case_row(c, config, today) for c in overdue_rows],
        supervised=[_case_row(c, config, today) for c in supervised],
    )


@router.get("/cases/new", response_class=HTMLResponse)
def new_case(
    request: Request,
    user: AgentUser,
    config: CaseConfigDep,
    cat: CatalogueDep,
    item_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    entry = cat.get(item_id) if item_id else None
    return render(
        request,
        "case_new.html",
        user=user,
        categories=config.categories,
        values={"item_id": item_id if entry else "", "item_name": entry.name if entry else ""},
        idem=secrets.token_urlsafe(16),
    )


@router.post("/cases")
def file_case(
    request: Request, form: FormDep, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep, cat: CatalogueDep
) -> Response:
    """A caller's complaint, channel hotline; the phone is typed once here and masked everywhere after."""
    item_id = form.get("item_id", "").strip() or None
    data: dict[str, Any] = {
        "category": form.get("category", ""),
        "description": form.get("description", ""),
        "phone": form.get("phone", ""),
        "channel": "hotline",
        "idempotency_key": form.get("idem") or None,
        "item_id": item_id if item_id and cat.kind_of(item_id) else None,
    }
    try:
        case_in = CaseCreate(**data)
        case = service.create_case(session=session, case_in=case_in, config=config)
    except (ValidationError, service.UnknownCategory) as exc:
        labels = {"description": "问题描述", "phone": "联系电话", "category": "类别"}
        if isinstance(exc, ValidationError):
            bad = sorted({labels.get(str(e["loc"][0]), str(e["loc"][0])) for e in exc.errors() if e["loc"]})
        else:
            bad = ["类别"]
        return render(
            request,
            "case_new.html",
            422,
            user=user,
            categories=config.categories,
            values={**data, "item_name": ""},
            idem=form.get("idem") or secrets.token_urlsafe(16),
            error=f"请检查：{'、'.join(bad)}",
        )
    service.add_note(session=session, case=case, text=f"热线来电登记：{user.display_name}", actor=actor_of(user))
    return see_other(f"/console/cases/{case.case_no}")


def _load(session: Session, case_no: str) -> Case:
    case = service.get_case(session=session, case_no=case_no.strip().upper())
    if case is None:
        raise HTTPException(status_code=404, detail="没有找到这个案件")
    return case


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
    targets = [t for t in TRANSITIONS[Status(case.status)] if t is not Status.REPLIED]
    staff = session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username)).all()
    return render(
        request,
        "case_detail.html",
        status_code,
        user=user,
        row=_case_row(case, config, today),
        targets=[(t.value, STATUS_NAMES[t]) for t in sorted(targets, key=list(Status).index)],
        can_reply=Status.REPLIED in TRANSITIONS[Status(case.status)],
        staff=staff,
        is_supervisor=Role.parse(user.role) >= Role.SUPERVISOR,
        error=error,
        phone=phone,
        description=description,
    )


@router.get("/cases/{case_no}", response_class=HTMLResponse)
def case_detail(
    request: Request, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    return _detail(request, user, session, config, _load(session, case_no))


def _conflict(exc: IllegalTransition) -> str:
    return f"案件当前是“{STATUS_NAMES[exc.current]}”，不能改为“{STATUS_NAMES[exc.target]}”"


def _text(form: dict[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value[:MAX_DESCRIPTION] if value else None


@router.post("/cases/{case_no}/transition")
def case_transition(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    case = _load(session, case_no)
    try:
        target = Status(form.get("to", ""))
    except ValueError:
        return _detail(request, user, session, config, case, status_code=422, error="请选择目标状态")
    if Status.SUPERVISED in (target, Status(case.status)) and Role.parse(user.role) < Role.SUPERVISOR:
        raise HTTPException(status_code=403, detail="督办案件由督办人员处理")
    if target is Status.REPLIED:
        return _detail(request, user, session, config, case, status_code=422, error="答复请填写答复内容")
    try:
        service.transition(
            session=session, case=case, target=target, actor=actor_of(user), note=_text(form, "note"), config=config
        )
    except IllegalTransition as exc:
        session.rollback()
        return _detail(request, user, session, config, case, status_code=409, error=_conflict(exc))
    return see_other(f"/console/cases/{case.case_no}")


@router.post("/cases/{case_no}/reply")
def case_reply(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    case = _load(session, case_no)
    text = _text(form, "text")
    if Status(case.status) is Status.SUPERVISED and Role.parse(user.role) < Role.SUPERVISOR:
        raise HTTPException(status_code=403, detail="督办案件由督办人员答复")
    if not text:
        return _detail(request, user, session, config, case, status_code=422, error="请填写答复内容")
    try:
        service.reply(session=session, case=case, text=text, actor=actor_of(user), config=config)
    except IllegalTransition as exc:
        session.rollback()
        return _detail(request, user, session, config, case, status_code=409, error=_conflict(exc))
    return see_other(f"/console/cases/{case.case_no}")


@router.post("/cases/{case_no}/note")
def case_note(
    request: Request, form: FormDep, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    case = _load(session, case_no)
    text = _text(form, "text")
    if not text:
        return _detail(request, user, session, config, case, status_code=422, error="请填写备注内容")
    service.add_note(session=session, case=case, text=text, actor=actor_of(user), config=config)
    return see_other(f"/console/cases/{case.case_no}")


@router.post("/cases/{case_no}/assign")
def case_assign(
    request: Request,
    form: FormDep,
    case_no: CaseNo,
    user: SupervisorUser,
    session: CaseSessionDep,
    config: CaseConfigDep,
) -> Response:
    case = _load(session, case_no)
    department = (form.get("department") or "").strip()[:64] or None
    name = (form.get("assignee") or "").strip()[:64]
    assignee = session.scalar(select(StaffUser).where(StaffUser.username == name)) if name else None
    if department is None and assignee is None:
        return _detail(request, user, session, config, case, status_code=422, error="请指定部门或经办人")
    try:
        service.assign(
            session=session, case=case, actor=actor_of(user), department=department, assignee=assignee, config=config
        )
    except IllegalTransition as exc:
        session.rollback()
        return _detail(request, user, session, config, case, status_code=409, error=_conflict(exc))
    return see_other(f"/console/cases/{case.case_no}")


@router.post("/cases/{case_no}/phone", response_class=HTMLResponse)
def case_phone(
    request: Request, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    """The full number only on purpose (to call back), and the look is written into the timeline."""
    case = _load(session, case_no)
    service.record_event(
        session=session, case=case, config=config, actor=actor_of(user), kind="phone_viewed", public=False
    )
    session.commit()
    return _detail(request, user, session, config, case, phone=case.phone)


@router.post("/cases/{case_no}/description", response_class=HTMLResponse)
def case_description(
    request: Request, case_no: CaseNo, user: AgentUser, session: CaseSessionDep, config: CaseConfigDep
) -> Response:
    """The story with its phone and ID numbers, only on purpose (to act on them), audited like the phone."""
    case = _load(session, case_no)
    service.record_event(
        session=session, case=case, config=config, actor=actor_of(user), kind="description_viewed", public=False
    )
    session.commit()
    return _detail(request, user, session, config, case, description=case.description)


# ---------------------------------------------------------------- handoffs


@router.get("/handoffs", response_class=HTMLResponse)
def handoffs(
    request: Request, user: AgentUser, session: CaseSessionDep, status: Annotated[str, Query(max_length=16)] = ""
) -> Response:
    rows = handoff_service.list_handoffs(session=session, status=status or None)
    return render(request, "handoffs.html", user=user, rows=rows, status=status)


def _handoff(session: Session, handoff_id: int) -> Handoff:
    handoff = handoff_service.get_handoff(session=session, handoff_id=handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail="没有这个转人工会话")
    return handoff


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_detail(request: Request, handoff_id: int, user: AgentUser, session: CaseSessionDep) -> Response:
    return render(request, "handoff_detail.html", user=user, h=_handoff(session, handoff_id))


WHO = {"user": "市民", "bot": "助手", "agent": "坐席", "system": "系统"}


def _delivery(m: HandoffMessage) -> dict[str, Any] | None:
    """How an agent's line (or a hand-back notice) reached the citizen: pending / sent / failed with the error."""
    d = m.delivery
    if d is None:
        return None
    return {"id": d.id, "state": d.state, "attempts": d.attempts, "error": d.last_error or "",
            "label": delivery_label(d)}  # fmt: skip


@router.get("/handoffs/{handoff_id}/messages")
def handoff_messages(
    handoff_id: int, user: AgentUser, session: CaseSessionDep, after: Annotated[int, Query(ge=0)] = 0
) -> JSONResponse:
    """New lines of a thread, for the open detail page: citizens keep writing while the agent reads. `deliveries`
    holds the state of every line sent to the citizen, so the page updates lines it already shows."""
    handoff = _handoff(session, handoff_id)
    lines = [
        {"id": m.id, "author": m.author, "who": WHO.get(m.author, m.author), "agent": m.agent or "",
         "at": beijing(m.at, "%H:%M"), "text": m.text, "delivery": _delivery(m)}
        for m in handoff.messages
        if m.id > after
    ]  # fmt: skip
    deliveries = {str(m.id): _delivery(m) for m in handoff.messages if m.delivery is not None}
    return JSONResponse({"status": handoff.status, "messages": lines[:200], "deliveries": deliveries})


@router.post("/handoffs/{handoff_id}/reply")
def handoff_reply(
    request: Request, form: FormDep, handoff_id: int, user: AgentUser, session: CaseSessionDep
) -> Response:
    handoff = _handoff(session, handoff_id)
    text = _text(form, "text")
    if not text:
        return render(request, "handoff_detail.html", 422, user=user, h=handoff, error="请填写回复内容")
    handoff_service.agent_reply(session=session, handoff=handoff, text=text, agent=user.username)
    return see_other(f"/console/handoffs/{handoff.id}")


@router.post("/handoffs/{handoff_id}/close")
def handoff_close(request: Request, handoff_id: int, user: AgentUser, session: CaseSessionDep) -> Response:
    """结束会话: the citizen is told, and the bot answers them again."""
    handoff_service.close_handoff(session=session, handoff=_handoff(session, handoff_id), agent=user.username)
    return see_other("/console/handoffs")


@router.post("/handoffs/{handoff_id}/deliveries/{delivery_id}/retry")
def handoff_delivery_retry(
    request: Request, handoff_id: int, delivery_id: int, user: AgentUser, session: CaseSessionDep
) -> Response:
    """重新发送 a line whose delivery failed (the channel is fixed, or the citizen wrote again on WeChat)."""
    if handoff_delivery.retry(session=session, delivery_id=delivery_id, handoff_id=handoff_id) is None:
        raise HTTPException(status_code=404, detail="没有这条发送失败的消息")
    return see_other(f"/console/handoffs/{handoff_id}")


# ---------------------------------------------------------------- knowledge gaps


@router.get("/gaps", response_class=HTMLResponse)
def gap_list(request: Request, user: SupervisorUser, session: CaseSessionDep, state: StateDep) -> Response:
    found = gaps.find_gaps(session=session, searcher=state.searcher)
    return render(
        request, "gaps.html", user=user, gaps=found, proposals=gaps.proposals(session=session), cat=state.catalogue
    )


@router.post("/gaps/proposals")
def gap_propose(
    request: Request, form: FormDep, user: SupervisorUser, session: CaseSessionDep, cat: CatalogueDep
) -> Response:
    text = (form.get("text") or "").strip()[:200]
    entry_id = (form.get("entry_id") or "").strip()[:100]
    if not text or cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=422, detail="请填写问题并选择一个存在的办事指南编号")
    count = int(form["count"]) if form.get("count", "").isdigit() else 1
    gaps.propose(session=session, text=text, entry_id=entry_id, count=count, by=user.username)
    return see_other("/console/gaps")


@router.get("/gaps/proposals.csv")
def gap_csv(_user: SupervisorUser, session: CaseSessionDep, cat: CatalogueDep) -> Response:
    body = "\ufeff" + gaps.to_csv(gaps.proposals(session=session), cat)  # BOM: Excel opens it as UTF-8
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alias-proposals.csv"'},
    )


@router.get("/gaps/proposals.yml")
def gap_yaml(_user: SupervisorUser, session: CaseSessionDep, cat: CatalogueDep) -> Response:
    return Response(
        gaps.to_yaml_patch(gaps.proposals(session=session), cat),
        media_type="text/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alias-proposals.yml"'},
    )


# ---------------------------------------------------------------- figures


@router.get("/figures", response_class=HTMLResponse)
def figure_page(
    request: Request,
    user: SupervisorUser,
    session: CaseSessionDep,
    config: CaseConfigDep,
    cat: CatalogueDep,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> Response:
    fig = figures.compute(session=session, cat=cat, config=config, days=days)
    svg = {
        "conversations": charts.stacked_columns("每天各渠道会话数", fig.days, fig.per_channel_day),
        "top_items": charts.hbar("问得最多的事项", fig.top_items),
        "answer_rate": charts.gauge("答复率", fig.answer_rate, detail=f"{fig.answered}/{fig.turns} 轮"),
        "complaints": charts.hbar("各类别投诉数", fig.complaints_by_category),
        "on_time": charts.gauge("按期回复率", fig.on_time_rate, detail=f"{fig.replied_on_time}/{fig.reply_due} 件"),
        "ratings": charts.hbar("好差评分布", fig.ratings),
    }
    return render(request, "figures.html", user=user, fig=fig, svg=svg, days=days)


# ---------------------------------------------------------------- staff accounts (admin)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: AdminUser, session: CaseSessionDep) -> Response:
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(request, "users.html", user=user, rows=rows, roles=[r.name.lower() for r in Role])


@router.post("/users")
def create_user(request: Request, form: FormDep, user: AdminUser, session: CaseSessionDep) -> Response:
    """A new account gets a one-time password shown once; its owner must change it at first login."""
    username = (form.get("username") or "").strip()[:64]
    role = form.get("role", "agent")
    if not username or role not in {r.name.lower() for r in Role}:
        raise HTTPException(status_code=422, detail="请填写用户名并选择角色")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise HTTPException(status_code=409, detail="这个用户名已经有了")
    password = one_time_password()
    created = auth.create_user(
        session=session,
        username=username,
        password=password,
        role=role,
        display_name=(form.get("display_name") or "").strip()[:64],
        department=(form.get("department") or "").strip()[:64] or None,
    )
    created.must_change_password = True
    session.commit()
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(
        request,
        "users.html",
        201,
        user=user,
        rows=rows,
        roles=[r.name.lower() for r in Role],
        created=(username, password),
    )


def one_time_password() -> str:
    return secrets.token_urlsafe(12)
