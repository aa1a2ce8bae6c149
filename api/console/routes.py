"""`/console`: every route names its minimum role; posts carry the CSRF token; pages are rendered on the server."""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

from api.accounts import auth
from api.accounts.auth import Role
from api.accounts.deps import LoginLimiterDep
from api.accounts.models import StaffUser
from api.answer.service import Answerer
from api.cases.deps import CaseConfigDep, GuesserDep
from api.cases.schemas import MAX_DESCRIPTION
from api.chat.content import load_messages
from api.console import charts, figures, gaps, routes_handoffs, routes_workorders, security, talk
from api.console.forms import FormDep
from api.console.pages import STATIC_DIR, ConsoleRoute, login_page, render, see_other
from api.console.security import AdminUser, AgentUser, SupervisorUser
from api.core.deps import DatabaseDep, SessionDep, SettingsDep
from api.core.guesses import retry_after
from api.deps import CatalogueDep, StateDep
from index.catalogue import Catalogue

router = APIRouter(prefix="/console", tags=["console"], route_class=ConsoleRoute, include_in_schema=False)
CaseNo = Annotated[str, Path(min_length=1, max_length=32)]
FormText = Annotated[str, Query(max_length=MAX_DESCRIPTION)]


def install(app: FastAPI) -> None:
    """The routes and the local static assets (CSS, JS): no CDN."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")


# ---------------------------------------------------------------- login, logout, password


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    form: FormDep,
    db: DatabaseDep,
    settings: SettingsDep,
    guesser: GuesserDep,
    logins: LoginLimiterDep,
) -> Response:
    cookie = request.cookies.get(security.LOGIN_CSRF_COOKIE, "")
    given = form.get("csrf_token", "")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        return render(request, "error.html", 403, message="页面已过期，请刷新登录页再试", code=403)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")[:256]
    key = auth.login_key(username)  # the staff API counts the same guesses (api/cases/routes_staff.py)
    wait = logins.attempt(key, guesser) if username else 0.0
    if wait:
        page = login_page(request, 429, error=load_messages().text("cases", "too_many_logins"))
        page.headers.update(retry_after(wait))
        return page
    with db.sessions() as session:
        user = auth.authenticate(session=session, username=username, password=password) if username else None
        if user is None:
            return login_page(request, 401, error="用户名或密码不对")
        logins.succeeded(key, guesser)
        token, _ = auth.issue_token(session=session, user=user, ttl=timedelta(hours=settings.staff_token_hours))
        must_change = user.must_change_password
    resp = see_other("/console/password" if must_change else "/console")
    resp.set_cookie(
        security.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.app_env == "production",
        max_age=settings.staff_token_hours * 3600,
        path=security.COOKIE_PATH,
    )
    resp.delete_cookie(security.LOGIN_CSRF_COOKIE, path=security.COOKIE_PATH)
    return resp


@router.post("/logout")
def logout(request: Request, session: SessionDep, _user: AgentUser) -> Response:
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
def change_password(request: Request, form: FormDep, session: SessionDep, user: AgentUser) -> Response:
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


def _card_json(
    request: Request, cat: Catalogue, entry_id: str, score: float | None = None, *, sure: bool = True
) -> dict[str, Any] | None:
    """`sure` is false below the abstention threshold: then there is no 话术 to read out, only the card to check."""
    card = talk.card_for(cat, entry_id)
    if card is None:
        return None
    url = _public_url(request, card.path)
    return {
        "id": card.id,
        "kind": card.kind,
        "name": card.name,
        "summary": card.summary,
        "script": card.script if sure else "",
        "sure": sure,
        "materials": card.materials,
        "window": card.window,
        "bundles": card.bundles,
        "members": card.members,
        "time_limit": card.time_limit,
        "rejections": card.rejections,
        "visits": card.visits,
        "remedy": card.remedy,
        "phones": card.phones,
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
    answer = _short_answer(request, q)
    threshold = talk.abstain_threshold(state.searcher, getattr(request.app.state, "answerer", None))
    answered = answer["id"] if answer and answer["decision"] == "answer" else None
    cards = [
        _card_json(request, state.catalogue, h.id, h.score, sure=h.score >= threshold or h.id == answered)
        for h in result.hits
    ]
    results = [c for c in cards if c is not None]
    took = (time.perf_counter() - t0) * 1000
    return JSONResponse(
        {
            "query": q,
            "confident": any(c["sure"] for c in results),  # false: 没找到准确的指南 comes first, no 话术
            "threshold": threshold,
            "took_ms": round(took, 1),
            "answer": answer,
            "results": results,
        },
        headers={"Cache-Control": "no-store", "Server-Timing": f"search;dur={took:.1f}"},
    )


@router.get("/qr/{entry_id}.svg")
def qr(
    request: Request, entry_id: Annotated[str, Path(max_length=64)], _user: AgentUser, cat: CatalogueDep
) -> Response:
    if cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=404, detail="没有这个办事指南")
    url = _public_url(request, f"/guides/{cat.resolve(entry_id)}")  # a printed code points at the canonical page
    return Response(talk.qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


# ---------------------------------------------------------------- cases, 督办, callers (routes_workorders.py)

router.include_router(routes_workorders.router)


# ---------------------------------------------------------------- handoffs (api/console/routes_handoffs.py)

router.include_router(routes_handoffs.router)


# ---------------------------------------------------------------- knowledge gaps


@router.get("/gaps", response_class=HTMLResponse)
def gap_list(request: Request, user: SupervisorUser, session: SessionDep, state: StateDep) -> Response:
    found = gaps.find_gaps(session=session, searcher=state.searcher)
    return render(
        request,
        "gaps.html",
        user=user,
        gaps=found,
        rated=gaps.rated_gaps(session=session),  # 没用 / 没找到 from the citizens, with the answer they got
        proposals=gaps.proposals(session=session),
        cat=state.catalogue,
    )


@router.post("/gaps/proposals")
def gap_propose(
    request: Request, form: FormDep, user: SupervisorUser, session: SessionDep, cat: CatalogueDep
) -> Response:
    text = (form.get("text") or "").strip()[:200]
    entry_id = (form.get("entry_id") or "").strip()[:100]
    if not text or cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=422, detail="请填写问题并选择一个存在的办事指南编号")
    count = int(form["count"]) if form.get("count", "").isdigit() else 1
    # an alias entry's id (same_as) proposes for the item it names: that file holds the aliases
    gaps.propose(session=session, text=text, entry_id=cat.resolve(entry_id), count=count, by=user.username)
    return see_other("/console/gaps")


@router.get("/gaps/proposals.csv")
def gap_csv(_user: SupervisorUser, session: SessionDep, cat: CatalogueDep) -> Response:
    body = "\ufeff" + gaps.to_csv(gaps.proposals(session=session), cat)  # BOM: Excel opens it as UTF-8
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alias-proposals.csv"'},
    )


@router.get("/gaps/proposals.yml")
def gap_yaml(_user: SupervisorUser, session: SessionDep, cat: CatalogueDep) -> Response:
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
    session: SessionDep,
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
        **routes_workorders.figure_gauges(fig),
    }
    return render(request, "figures.html", user=user, fig=fig, svg=svg, days=days)


# ---------------------------------------------------------------- staff accounts (admin)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: AdminUser, session: SessionDep) -> Response:
    rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render(request, "users.html", user=user, rows=rows, roles=[r.name.lower() for r in Role])


@router.post("/users")
def create_user(request: Request, form: FormDep, user: AdminUser, session: SessionDep) -> Response:
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
