"""Every console route: 401 without a login, 403 for a lower role, 403 for a post without the CSRF token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.cases.schemas import CaseCreate
from api.cases.service import create_case
from api.console.routes import router as console_router
from api.core.db import Database
from tests.api.console.conftest import ROLES, csrf_of, login, make_user
from tests.support.app import PASSWORD, gateway_client, make_settings

CASE = "YS20990101-000001"  # replaced by a real number where the route must find the case
# (method, path, lowest role allowed); {case} and {handoff} are filled in with real ids, {delivery} with none
ROUTES: list[tuple[str, str, str]] = [
    ("POST", "/console/logout", "agent"),
    ("GET", "/console/password", "agent"),
    ("POST", "/console/password", "agent"),
    ("GET", "/console", "agent"),
    ("GET", "/console/api/search?q=退休", "agent"),
    ("GET", "/console/qr/pension-retire.svg", "agent"),
    ("GET", "/console/cases", "agent"),
    ("GET", "/console/supervision", "supervisor"),
    ("GET", "/console/cases/new", "agent"),
    ("POST", "/console/cases", "agent"),
    ("GET", "/console/cases/{case}", "agent"),
    ("POST", "/console/cases/{case}/transition", "agent"),
    ("POST", "/console/cases/{case}/reply", "agent"),
    ("POST", "/console/cases/{case}/note", "agent"),
    ("POST", "/console/cases/{case}/assign", "agent"),  # 经办人: the case's department too
    ("POST", "/console/cases/{case}/dispatch", "supervisor"),
    # 签收, 退回, 延期: also an agent of the case's own department (tests/api/console/routes/test_cases.py)
    ("POST", "/console/cases/{case}/accept", "supervisor"),
    ("POST", "/console/cases/{case}/return", "supervisor"),
    ("POST", "/console/cases/{case}/extension", "supervisor"),
    ("POST", "/console/cases/{case}/extension/decision", "supervisor"),
    ("POST", "/console/cases/{case}/visit", "agent"),
    ("POST", "/console/cases/{case}/merge", "supervisor"),
    ("POST", "/console/cases/{case}/phone", "agent"),
    ("POST", "/console/cases/{case}/description", "agent"),
    ("GET", "/console/api/items?q=退休", "agent"),
    ("GET", "/console/callers", "agent"),
    ("GET", "/console/handoffs", "agent"),
    ("GET", "/console/handoffs/queue.json", "agent"),
    ("GET", "/console/handoffs/{handoff}", "agent"),
    ("GET", "/console/handoffs/{handoff}/messages", "agent"),
    ("POST", "/console/handoffs/{handoff}/reply", "agent"),
    ("POST", "/console/handoffs/{handoff}/close", "agent"),
    ("POST", "/console/handoffs/{handoff}/case", "agent"),
    ("POST", "/console/handoffs/{handoff}/deliveries/{delivery}/retry", "agent"),
    ("GET", "/console/gaps", "supervisor"),
    ("POST", "/console/gaps/proposals", "supervisor"),
    ("GET", "/console/gaps/proposals.csv", "supervisor"),
    ("GET", "/console/gaps/proposals.yml", "supervisor"),
    ("GET", "/console/figures", "supervisor"),
    ("GET", "/console/users", "admin"),
    ("POST", "/console/users", "admin"),
]
PUBLIC = {("GET", "/console/login"), ("POST", "/console/login")}
ROUTE_IDS = [f"{m} {p}" for m, p, _ in ROUTES]


def _template(path: str) -> str:
    return (
        path.split("?")[0]
        .replace("{case}", "{case_no}")
        .replace("{handoff}", "{handoff_id}")
        .replace("{delivery}", "{delivery_id}")
        .replace("pension-retire.svg", "{entry_id}.svg")
    )


def _routes(router: APIRouter, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every route with its full path, into included routers too (FastAPI keeps those as one lazy entry)."""
    for r in router.routes:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        elif isinstance(getattr(r, "original_router", None), APIRouter):
            yield from _routes(r.original_router, prefix + router.prefix)  # type: ignore[attr-defined]


def test_the_table_covers_every_console_route() -> None:
    served = {(method, path) for path, r in _routes(console_router) for method in r.methods if method != "HEAD"}
    listed = {(m, _template(p)) for m, p, _ in ROUTES} | PUBLIC
    assert served == listed


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the whole table (users get fresh names), so the parametrised checks stay quick."""
    settings = make_settings(tmp_path_factory.mktemp("console"), internal_token="test-internal-token")
    with gateway_client(settings) as c:
        yield c


@pytest.fixture(scope="module")
def ids(app_client: TestClient) -> dict[str, str]:
    db: Database = app_client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        case = create_case(
            session=session,
            case_in=CaseCreate(category="other", description="窗口说材料不全", phone="13812345678", channel="hotline"),
        )
    resp = app_client.post(
        "/api/handoffs",
        json={"sender": "w-abc123", "channel": "widget", "reason": "用户要求转人工", "transcript": []},
        headers={"X-Internal-Token": "test-internal-token"},
    )
    assert resp.status_code == 201
    # no such delivery: the allowed role gets a 404, which is past the login and role checks
    return {"case": case.case_no, "handoff": str(resp.json()["handoff_id"]), "delivery": "999999"}


def _call(client: TestClient, method: str, path: str, ids: dict[str, str], csrf: str | None) -> int:
    url = path.format(**ids) if "{" in path else path
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    data = {"csrf_token": csrf} if csrf else {}
    return client.post(url, data=data, follow_redirects=False).status_code


@pytest.mark.parametrize(("method", "path", "role"), ROUTES, ids=ROUTE_IDS)
def test_without_login_is_401(app_client: TestClient, ids: dict[str, str], method: str, path: str, role: str) -> None:
    anon = TestClient(app_client.app)
    assert _call(anon, method, path, ids, None) == 401
    anon.cookies.set("console_session", "forged-token", path="/console")
    assert _call(anon, method, path, ids, "x" * 64) == 401


@pytest.mark.parametrize(("method", "path", "role"), [r for r in ROUTES if r[2] != "agent"], ids=str)
def test_lower_roles_get_403(
    as_role: Callable[[str], tuple[TestClient, str]], ids: dict[str, str], method: str, path: str, role: str
) -> None:
    for lower in ROLES[: ROLES.index(role)]:
        client, csrf = as_role(lower)
        assert _call(client, method, path, ids, csrf) == 403, lower


@pytest.mark.parametrize(("method", "path", "role"), ROUTES, ids=ROUTE_IDS)
def test_the_lowest_allowed_role_gets_in(
    as_role: Callable[[str], tuple[TestClient, str]], ids: dict[str, str], method: str, path: str, role: str
) -> None:
    client, csrf = as_role(role)
    assert _call(client, method, path, ids, csrf) not in (401, 403)


@pytest.mark.parametrize(("method", "path", "role"), [r for r in ROUTES if r[0] == "POST"], ids=str)
def test_posts_without_a_valid_csrf_token_are_refused(
    as_role: Callable[[str], tuple[TestClient, str]], ids: dict[str, str], method: str, path: str, role: str
) -> None:
    client, csrf = as_role(role)
    assert _call(client, method, path, ids, None) == 403
    assert _call(client, method, path, ids, "0" * len(csrf)) == 403
    # a token from another session does not work either
    _, other = as_role(role)
    assert _call(client, method, path, ids, other) == 403


def test_login_form_needs_its_csrf_cookie(app_client: TestClient) -> None:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    make_user(app_client, name, "agent")
    c = TestClient(app_client.app)
    resp = c.post("/console/login", data={"username": name, "password": PASSWORD, "csrf_token": "abc"})
    assert resp.status_code == 403 and "console_session" not in c.cookies


def test_session_cookie_is_httponly_and_strict(app_client: TestClient) -> None:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    make_user(app_client, name, "agent")
    c = TestClient(app_client.app)
    page = c.get("/console/login")
    resp = c.post(
        "/console/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and "console_session=" in v)
    assert (
        "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/console" in cookie
    )


def test_lockout_after_repeated_failures(app_client: TestClient) -> None:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    make_user(app_client, name, "agent")
    c = TestClient(app_client.app)
    token = csrf_of(c.get("/console/login").text)
    codes = [
        c.post("/console/login", data={"username": name, "password": f"wrong {i}", "csrf_token": token}).status_code
        for i in range(5)
    ]
    assert codes == [401] * 5
    right = c.post("/console/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
    assert "console_session" not in c.cookies


def test_console_and_staff_api_share_login_guesses(app_client: TestClient) -> None:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    make_user(app_client, name, "agent")
    c = TestClient(app_client.app)
    token = csrf_of(c.get("/console/login").text)
    codes = []
    for i in range(16):
        wrong = f"wrong {i}"
        if i % 2:
            resp = c.post("/api/staff/login", json={"username": name, "password": wrong})
        else:
            resp = c.post("/console/login", data={"username": name, "password": wrong, "csrf_token": token})
        codes.append(resp.status_code)
    limit = app_client.app.state.settings.console_login_max_failures  # type: ignore[attr-defined]
    assert codes == [401] * limit + [429] * (16 - limit)


def test_staff_member_gets_in_while_someone_guesses_the_password(app_client: TestClient) -> None:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    make_user(app_client, name, "agent")
    attacker = TestClient(app_client.app, client=("203.0.113.9", 50000))
    token = csrf_of(attacker.get("/console/login").text)
    codes = []
    for i in range(8):
        wrong = {"username": name, "password": f"wrong {i}", "csrf_token": token}
        codes.append(attacker.post("/console/login", data=wrong).status_code)
    assert codes[-1] == 429
    login(TestClient(app_client.app), name)  # from the staff member's own address: straight in


def test_logout_ends_the_session(as_role: Callable[[str], tuple[TestClient, str]]) -> None:
    client, csrf = as_role("agent")
    token = client.cookies.get("console_session")
    assert client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    again = TestClient(client.app)
    again.cookies.set("console_session", token or "", path="/console")
    assert again.get("/console").status_code == 401


@pytest.mark.parametrize(
    "path", ["/console/cases/{case}/phone", "/console/cases/{case}/description", "/console/logout"]
)
def test_bodyless_posts_take_the_csrf_token_as_a_header_or_field_only(
    as_role: Callable[[str], tuple[TestClient, str]], ids: dict[str, str], path: str
) -> None:
    """Posts without a form (a script's fetch) carry X-CSRF-Token; SameSite alone is not relied on."""
    client, csrf = as_role("agent")
    url = path.format(**ids)
    assert client.post(url, follow_redirects=False).status_code == 403  # no body, no header
    assert client.post(url, content=b"csrf_token=" + csrf.encode(), follow_redirects=False).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": csrf}, follow_redirects=False).status_code in (200, 303)
