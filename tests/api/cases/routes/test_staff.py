"""Staff API: login, roles, list/filter, assign, transition, reply, note — each audited in the timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.accounts import auth
from api.accounts.models import StaffUser
from tests.support.app import PASSWORD
from tests.support.cases import MASKED_STORY, STORY, STORY_NUMBERS, file_case, from_address


def test_needs_login(client: TestClient) -> None:
    assert client.get("/api/staff/cases").status_code == 401
    assert client.get("/api/staff/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient, staff: Any) -> None:
    staff("agent")
    a = client.post("/api/staff/login", json={"username": "agent-1", "password": "wrong password!"})
    b = client.post("/api/staff/login", json={"username": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_password_guessing_is_throttled(client: TestClient, staff: Any) -> None:
    staff("agent")
    limit = client.app.state.settings.console_login_max_failures  # type: ignore[attr-defined]
    codes = [
        client.post("/api/staff/login", json={"username": "agent-1", "password": f"guess {i}"}).status_code
        for i in range(limit + 1)
    ]
    assert codes == [401] * limit + [429]
    right = client.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1  # this client has to wait


def test_staff_member_logs_in_while_someone_guesses_the_password(client: TestClient, staff: Any) -> None:
    staff("agent")
    attacker = from_address(client, "203.0.113.9")
    codes = [
        attacker.post("/api/staff/login", json={"username": "agent-1", "password": f"guess {i}"}).status_code
        for i in range(8)
    ]
    assert codes[-1] == 429
    resp = client.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD})
    assert resp.status_code == 200 and resp.json()["access_token"]


def test_must_change_account_gets_no_staff_token(client: TestClient, staff: Any) -> None:
    """A one-time password is for the console's password page, not a 12-hour token that reveals phones."""
    no = file_case(client)["case_no"]
    db = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        user = auth.create_user(session=session, username="new-agent", password=PASSWORD, role="agent")
        user.must_change_password = True
        session.commit()
        console_token, _ = auth.issue_token(session=session, user=user, ttl=timedelta(hours=1))  # as /console/login
    resp = client.post("/api/staff/login", json={"username": "new-agent", "password": PASSWORD})
    assert resp.status_code == 403 and "access_token" not in resp.text and "/console" in resp.json()["detail"]
    assert "staff_token" not in resp.headers.get("set-cookie", "")
    bearer = {"Authorization": f"Bearer {console_token}"}
    assert client.get("/api/staff/me", headers=bearer).status_code == 403
    assert client.post(f"/api/staff/cases/{no}/phone", headers=bearer).status_code == 403
    assert client.post(f"/api/staff/cases/{no}/description", headers=bearer).status_code == 403
    with db.sessions() as session:
        auth.reset_password(session=session, username="new-agent", password="a brand new password")
        user = session.scalar(select(StaffUser).where(StaffUser.username == "new-agent"))
        assert user is not None
        user.must_change_password = False
        session.commit()
    resp = client.post("/api/staff/login", json={"username": "new-agent", "password": "a brand new password"})
    assert resp.status_code == 200


def test_cookie_session_works_too(client: TestClient, staff: Any) -> None:
    staff("agent")
    client.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD})
    assert client.get("/api/staff/me").json()["role"] == "agent"


def test_posts_on_the_cookie_need_the_csrf_header(client: TestClient, staff: Any) -> None:
    """The browser adds the cookie by itself, even to a post another site triggers; a header it cannot add."""
    boss = staff("supervisor")
    no = file_case(client)["case_no"]
    browser = TestClient(client.app)  # the cookie only, no Authorization header
    assert browser.post("/api/staff/login", json={"username": "supervisor-1", "password": PASSWORD}).is_success
    bodyless = [
        f"/api/staff/cases/{no}/phone",
        f"/api/staff/cases/{no}/description",
        "/api/staff/overdue/run",
        "/api/staff/outbox/none/retry",
    ]
    for path in [*bodyless, "/api/staff/logout"]:
        assert browser.post(path).status_code == 403, path
        assert browser.post(path, headers={"X-CSRF-Token": "0" * 64}).status_code == 403, path
    assert browser.post(f"/api/staff/cases/{no}/notes", json={"text": "备注"}).status_code == 403
    timeline = client.get(f"/api/staff/cases/{no}", headers=boss).json()["timeline"]
    assert [e["kind"] for e in timeline] == ["created"]  # nothing happened, not even the phone look

    token = {"X-CSRF-Token": browser.get("/api/staff/me").json()["csrf_token"]}
    assert browser.post(f"/api/staff/cases/{no}/phone", headers=token).status_code == 200
    assert browser.post(f"/api/staff/cases/{no}/description", headers=token).status_code == 200
    assert browser.post("/api/staff/overdue/run", headers=token).status_code == 200
    assert browser.post("/api/staff/outbox/none/retry", headers=token).status_code == 404
    assert browser.post(f"/api/staff/cases/{no}/notes", json={"text": "备注"}, headers=token).status_code == 201
    assert browser.post("/api/staff/logout", headers=token).status_code == 204
    assert browser.get("/api/staff/me").status_code == 401
    # a bearer header is sent only by code that holds the token: no CSRF token needed
    assert client.post(f"/api/staff/cases/{no}/phone", headers=boss).status_code == 200


def test_workflow_is_audited(client: TestClient, staff: Any) -> None:
    agent, boss = staff("agent"), staff("supervisor")  # both of 政务办 (tests/api/conftest.py)
    no = file_case(client)["case_no"]

    assert client.post(f"/api/staff/cases/{no}/assign", json={"department": "政务办"}, headers=agent).status_code == 403
    resp = client.post(
        f"/api/staff/cases/{no}/assign", json={"department": "政务办", "assignee": "agent-1"}, headers=boss
    )
    assert resp.status_code == 200 and resp.json()["status"] == "forwarded" and resp.json()["assignee"] == "agent-1"
    assert resp.json()["department"] == "government-services" and resp.json()["department_name"] == "政务办"

    bad = client.post(f"/api/staff/cases/{no}/transition", json={"to": "closed"}, headers=agent)
    assert bad.status_code == 409 and "转办" in bad.json()["detail"]
    # 签收 has its own action: a bare 改状态 to 办理中 is refused
    bare = client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=agent)
    assert bare.status_code == 422 and "签收" in bare.json()["detail"]
    assert client.post(f"/api/staff/cases/{no}/accept", headers=agent).status_code == 200
    assert client.post(f"/api/staff/cases/{no}/notes", json={"text": "已电话联系"}, headers=agent).status_code == 201
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "已为您补办"}, headers=agent).status_code == 200
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "再答一次"}, headers=agent).status_code == 409
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "closed"}, headers=agent).status_code == 200

    detail = client.get(f"/api/staff/cases/{no}", headers=agent).json()
    actors = [(e["kind"], e["actor"]) for e in detail["timeline"]]
    assert actors == [
        ("created", "citizen"),
        ("dispatch", "staff:supervisor-1"),
        ("assign", "staff:supervisor-1"),
        ("accept", "staff:agent-1"),
        ("note", "staff:agent-1"),
        ("reply", "staff:agent-1"),
        ("transition", "staff:agent-1"),
    ]
    assert [e["label"] for e in detail["timeline"]][:4] == ["市民通过政务服务网提交", "派单", "指定经办人", "签收"]
    assert detail["phone"] == "138****5678"

    public = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()
    assert "已电话联系" not in str(public) and public["status_name"] == "已办结"


def test_supervision_is_for_supervisors(client: TestClient, staff: Any) -> None:
    agent, boss = staff("agent"), staff("supervisor")
    no = file_case(client)["case_no"]
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "supervised"}, headers=agent).status_code == 403
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "supervised"}, headers=boss).status_code == 200
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "x"}, headers=agent).status_code == 403
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "督办答复"}, headers=boss).status_code == 200


def test_unknown_case_and_bad_status_and_reply_via_transition(client: TestClient, staff: Any) -> None:
    agent = staff("agent")
    assert client.get("/api/staff/cases/YS20000101-000001", headers=agent).status_code == 404
    no = file_case(client)["case_no"]
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "done"}, headers=agent).status_code == 422
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "replied"}, headers=agent).status_code == 422
    assert client.post(f"/api/staff/cases/{no}/notes", json={"text": " "}, headers=agent).status_code == 422


def test_list_and_filter(client: TestClient, staff: Any) -> None:
    agent, boss = staff("agent"), staff("supervisor")
    a = file_case(client)["case_no"]
    file_case(client, category="attitude")
    client.post(f"/api/staff/cases/{a}/assign", json={"department": "公安局"}, headers=boss)  # by name

    def nos(**params: Any) -> set[str]:
        body = client.get("/api/staff/cases", params=params, headers=agent).json()
        assert body["total"] == len(body["items"])
        return {c["case_no"] for c in body["items"]}

    assert len(nos()) == 2
    assert nos(status="forwarded") == {a}
    assert nos(department="公安局") == {a}
    assert len(nos(category="attitude")) == 1
    assert nos(overdue=True) == set()
    assert len(nos(overdue=False)) == 2
    assert client.get("/api/staff/cases", params={"status": "nope"}, headers=agent).status_code == 422


def test_phone_reveal_is_audited(client: TestClient, staff: Any) -> None:
    agent = staff("agent")
    no = file_case(client)["case_no"]
    assert client.post(f"/api/staff/cases/{no}/phone", headers=agent).json()["phone"] == "13812345678"
    timeline = client.get(f"/api/staff/cases/{no}", headers=agent).json()["timeline"]
    assert timeline[-1]["kind"] == "phone_viewed" and timeline[-1]["actor"] == "staff:agent-1"
    assert not timeline[-1]["public"]


def test_the_story_is_masked_in_lists_and_detail(client: TestClient, staff: Any) -> None:
    agent = staff("agent")
    no = file_case(client, description=STORY)["case_no"]
    listed = client.get("/api/staff/cases", headers=agent)
    assert [c["description"] for c in listed.json()["items"]] == [MASKED_STORY]
    detail = client.get(f"/api/staff/cases/{no}", headers=agent)
    assert detail.json()["description"] == MASKED_STORY
    assert not any(n in listed.text + detail.text for n in STORY_NUMBERS)


def test_description_reveal_is_audited(client: TestClient, staff: Any) -> None:
    agent = staff("agent")
    no = file_case(client, description=STORY)["case_no"]
    resp = client.post(f"/api/staff/cases/{no}/description", headers=agent)
    assert resp.status_code == 200 and resp.json() == {"case_no": no, "description": STORY}
    timeline = client.get(f"/api/staff/cases/{no}", headers=agent).json()["timeline"]
    assert timeline[-1]["kind"] == "description_viewed" and timeline[-1]["actor"] == "staff:agent-1"
    assert not timeline[-1]["public"]
    assert client.post("/api/staff/cases/YS20000101-000001/description", headers=agent).status_code == 404
    assert TestClient(client.app).post(f"/api/staff/cases/{no}/description").status_code == 401
    public = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()["timeline"]
    assert "description_viewed" not in [e["kind"] for e in public]


def test_logout_and_password_reset_end_sessions(client: TestClient, staff: Any) -> None:
    headers = staff("agent")
    other = client.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD}).json()
    assert client.post("/api/staff/logout", headers=headers).status_code == 204
    assert client.get("/api/staff/me", headers=headers).status_code == 401
    other_headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert client.get("/api/staff/me", headers=other_headers).status_code == 200
    with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        auth.reset_password(session=session, username="agent-1", password="a brand new password")
    assert client.get("/api/staff/me", headers=other_headers).status_code == 401


def test_overdue_run_is_for_supervisors(client: TestClient, staff: Any) -> None:
    assert client.post("/api/staff/overdue/run", headers=staff("agent")).status_code == 403
    assert client.post("/api/staff/overdue/run", headers=staff("supervisor")).json() == {"marked": []}
