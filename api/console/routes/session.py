"""`/console/login`, `/console/logout`, `/console/password`: signing in and out, and the one-time password's change.

The login counts the same wrong guesses as the staff API's (api/cases/routes/staff.py).
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.accounts import auth
from api.accounts.deps import LoginLimiterDep
from api.accounts.models import StaffUser
from api.cases.deps import GuesserDep
from api.chat.content import load_messages
from api.console import security
from api.console.forms import FormDep
from api.console.pages import ConsoleRoute, login_page, render, see_other
from api.console.security import AgentUser
from api.core import wording
from api.core.deps import DatabaseDep, SessionDep, SettingsDep
from api.core.guesses import retry_after

router = APIRouter(route_class=ConsoleRoute)


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
        return render(request, "error.html", 403, message=wording.text("console", "access.login_expired"), code=403)
    username = form.get("username", "").strip()[:64]
    password = form.get("password", "")[:256]
    key = auth.login_key(username)  # the staff API counts the same guesses (api/cases/routes/staff.py)
    wait = logins.attempt(key, guesser) if username else 0.0
    if wait:
        page = login_page(request, 429, error=load_messages().text("cases", "too_many_logins"))
        page.headers.update(retry_after(wait))
        return page
    with db.sessions() as session:
        user = auth.authenticate(session=session, username=username, password=password) if username else None
        if user is None:
            return login_page(request, 401, error=wording.text("console", "access.bad_login"))
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
        error = wording.text("console", "password.wrong_current")
    elif new != again:
        error = wording.text("console", "password.mismatch")
    elif len(new) < auth.MIN_PASSWORD:
        error = wording.say("console", "password.too_short", min=auth.MIN_PASSWORD)
    elif new == current:
        error = wording.text("console", "password.unchanged")
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
