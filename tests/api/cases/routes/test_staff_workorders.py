"""Staff API of the work order: 派单 / 签收 / 退回 / 延期 / 回访 / 合并 and the caller search, for every role."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.accounts import auth
from api.cases.models import CallerLookup, Case
from api.core.clock import add_working_days
from api.core.db import Database
from tests.support.app import PASSWORD, gateway_client, make_settings
from tests.support.cases import file_case


def _login(client: TestClient, name: str, role: str, department: str | None) -> dict[str, str]:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        auth.create_user(session=session, username=name, password=PASSWORD, role=role, department=department)
    token = client.post("/api/staff/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, path: str, who: dict[str, str], body: Any = None) -> Any:
    return client.post(f"/api/staff{path}", json=body, headers=who)


def test_dispatch_accept_extension_reply_visit_by_role(client: TestClient, staff: Any) -> None:
    boss = staff("supervisor")
    hr = _login(client, "hr-1", "agent", "人社局")
    other = _login(client, "police-1", "agent", "公安局")
    no = file_case(client)["case_no"]
    case = f"/cases/{no}"

    assert client.get("/api/staff/departments", headers=hr).json()[0]["code"] == "government-services"
    assert _post(client, f"{case}/dispatch", hr, {"department": "人社局"}).status_code == 403  # agents do not 派单
    assert _post(client, f"{case}/dispatch", boss, {"department": "不存在的局"}).status_code == 422
    assert _post(client, f"{case}/accept", hr).status_code == 403  # not dispatched to 人社局 (yet)
    r = _post(client, f"{case}/dispatch", boss, {"department": "human-resources", "note": "请三天内回复"})
    assert r.status_code == 200 and r.json()["status"] == "forwarded" and r.json()["department_name"] == "人社局"
    assert r.json()["dispatched_by"] == "staff:supervisor-1"
    assert _post(client, f"{case}/accept", other).status_code == 403  # another department
    assert _post(client, f"{case}/accept", hr).json()["status"] == "in_progress"

    ext = {"days": 2, "reason": "要等社保中心数据"}
    assert _post(client, f"{case}/extension", other, ext).status_code == 403
    assert _post(client, f"{case}/extension", hr, {"days": 99, "reason": "x"}).status_code == 422
    before = client.get(f"/api/staff{case}", headers=hr).json()["deadline"]
    assert _post(client, f"{case}/extension", hr, ext).json()["extension_days"] == 2
    assert _post(client, f"{case}/extension/decision", hr, {"approve": True}).status_code == 403
    decided = _post(client, f"{case}/extension/decision", boss, {"approve": True}).json()
    assert decided["deadline"] == add_working_days(date.fromisoformat(before), 2).isoformat()
    assert decided["extension_days"] is None

    assert _post(client, f"{case}/visit", hr, {"result": 5}).status_code == 409  # not answered yet
    assert _post(client, f"{case}/reply", hr, {"text": "已协调，不用再开证明"}).json()["status"] == "replied"
    assert _post(client, f"{case}/visit", other, {"result": 7}).status_code == 422
    visited = _post(client, f"{case}/visit", other, {"result": 3, "note": "基本满意"}).json()  # any agent calls back
    assert visited["status"] == "closed" and visited["ratings"][-1]["via"] == "visit"
    labels = [e["label"] for e in visited["timeline"]]
    assert labels == [
        "市民通过政务服务网提交", "派单", "内部备注", "签收", "申请延期", "批准延期", "答复", "回访", "改状态",
    ]  # fmt: skip
    assert {e["who"] for e in visited["timeline"]} >= {"市民", "hr-1", "supervisor-1", "系统"}
    public = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()
    assert "请三天内回复" not in str(public) and "要等社保中心数据" not in str(public)  # internal lines stay inside


def test_return_and_the_bare_transition_refusals(client: TestClient, staff: Any) -> None:
    boss = staff("supervisor")
    police = _login(client, "police-2", "agent", "public-security")
    no = file_case(client)["case_no"]
    case = f"/cases/{no}"
    _post(client, f"{case}/dispatch", boss, {"department": "公安局"})
    assert _post(client, f"{case}/return", police, {"reason": " "}).status_code == 422
    r = _post(client, f"{case}/return", police, {"reason": "不归公安管"})
    assert r.status_code == 200 and r.json()["status"] == "received" and r.json()["department"] is None
    assert r.json()["timeline"][-1]["label"] == "退回" and "不归公安管" in r.json()["timeline"][-1]["note"]
    assert _post(client, f"{case}/transition", boss, {"to": "forwarded"}).status_code == 422  # 派单 has its own
    assert _post(client, f"{case}/transition", boss, {"to": "closed"}).status_code == 409


def test_merge_sends_the_reply_to_both_citizens(client: TestClient, staff: Any) -> None:
    boss, agent = staff("supervisor"), staff("agent")
    main = file_case(client, phone="13900001111")["case_no"]
    dup = file_case(client, phone="13700002222", description="同一个路灯坏了")["case_no"]
    assert _post(client, f"/cases/{dup}/merge", agent, {"into": main}).status_code == 403
    assert _post(client, f"/cases/{dup}/merge", boss, {"into": "YS20000101-000001"}).status_code == 404
    assert _post(client, f"/cases/{dup}/merge", boss, {"into": dup}).status_code == 422
    assert _post(client, f"/cases/{dup}/merge", boss, {"into": main}).json()["duplicate_of"] == main
    _post(client, f"/cases/{main}/transition", agent, {"to": "in_progress"})
    _post(client, f"/cases/{main}/reply", agent, {"text": "路灯已修好"})
    for no, last4 in ((main, "1111"), (dup, "2222")):
        public = client.get(f"/api/cases/{no}", params={"phone_last4": last4}).json()
        assert public["reply"] == "路灯已修好" and public["can_rate"]


def test_caller_search_by_phone_or_case_number_is_audited(client: TestClient, staff: Any) -> None:
    agent = staff("agent")
    a = file_case(client)["case_no"]
    file_case(client, description="第二次反映")
    file_case(client, phone="13900009999")
    r = client.get("/api/staff/callers", params={"phone": "138 1234 5678"}, headers=agent)
    assert r.status_code == 200 and r.json()["phone"] == "138****5678" and len(r.json()["cases"]) == 2
    assert "13812345678" not in r.text
    by_no = client.get("/api/staff/callers", params={"case_no": a.lower()}, headers=agent).json()
    assert len(by_no["cases"]) == 2
    assert client.get("/api/staff/callers", params={"phone": "12345"}, headers=agent).status_code == 422
    assert client.get("/api/staff/callers", params={"case_no": "YS20000101-000001"}, headers=agent).status_code == 404
    assert TestClient(client.app).get("/api/staff/callers", params={"phone": "13812345678"}).status_code == 401
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        rows = session.scalars(select(CallerLookup).order_by(CallerLookup.id)).all()
        assert [(r.actor, r.phone_masked, r.case_no, r.found) for r in rows] == [
            ("staff:agent-1", "138****5678", None, 2),
            ("staff:agent-1", "138****5678", a, 2),
        ]


def test_chat_cases_link_the_sender_only_from_the_action_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, internal_token="test-internal-token")
    body = {"category": "other", "description": "测试", "phone": "13812345678", "channel": "wechat"}
    with gateway_client(settings) as client:
        internal = {"X-Internal-Token": "test-internal-token"}
        assert client.post("/api/cases", json={**body, "sender": "wx-1"}, headers=internal).status_code == 201
        assert client.post("/api/cases", json={**body, "sender": "forged"}).status_code == 201  # files as web
        db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
        with db.sessions() as session:
            assert set(session.scalars(select(Case.sender))) == {None, "wx-1"}
