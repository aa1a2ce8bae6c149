"""Staff API: login, roles, list/filter, assign, transition, reply, note — each audited in the timeline."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.cases import auth
from tests.api.cases.test_routes_citizen import file_case
from tests.api.conftest import PASSWORD


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
    codes = [
        client.post("/api/staff/login", json={"username": "agent-1", "password": f"guess {i}"}).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]


def test_cookie_session_works_too(client: TestClient, staff: Any) -> None:
    staff("agent")
    client.post("/api/staff/login", json={"username": "agent-1", "password": PASSWORD})
    assert client.get("/api/staff/me").json()["role"] == "agent"


def test_workflow_is_audited(client: TestClient, staff: Any) -> None:
    agent, boss = staff("agent"), staff("supervisor")
    no = file_case(client)["case_no"]

    assert client.post(f"/api/staff/cases/{no}/assign", json={"department": "人社局"}, headers=agent).status_code == 403
    resp = client.post(
        f"/api/staff/cases/{no}/assign", json={"department": "人社局", "assignee": "agent-1"}, headers=boss
    )
    assert resp.status_code == 200 and resp.json()["status"] == "forwarded" and resp.json()["assignee"] == "agent-1"

    bad = client.post(f"/api/staff/cases/{no}/transition", json={"to": "closed"}, headers=agent)
    assert bad.status_code == 409 and "转办" in bad.json()["detail"]
    assert (
        client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=agent).status_code == 200
    )
    assert client.post(f"/api/staff/cases/{no}/notes", json={"text": "已电话联系"}, headers=agent).status_code == 201
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "已为您补办"}, headers=agent).status_code == 200
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "再答一次"}, headers=agent).status_code == 409
    assert client.post(f"/api/staff/cases/{no}/transition", json={"to": "closed"}, headers=agent).status_code == 200

    detail = client.get(f"/api/staff/cases/{no}", headers=agent).json()
    actors = [(e["kind"], e["actor"]) for e in detail["timeline"]]
    assert actors == [
        ("created", "citizen"),
        ("assign", "staff:supervisor-1"),
        ("assign", "staff:supervisor-1"),
        ("transition", "staff:agent-1"),
        ("note", "staff:agent-1"),
        ("reply", "staff:agent-1"),
        ("transition", "staff:agent-1"),
    ]
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
    client.post(f"/api/staff/cases/{a}/assign", json={"department": "公安局"}, headers=boss)

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
