"""Open311 GeoReport v2: services, filing with an api_key, listing, and our status mapping."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.app import OPEN311_KEY

FORM = {
    "api_key": OPEN311_KEY,
    "service_code": "system-failure",
    "description": "自助机无法打印",
    "phone": "13900001111",
}


def post(client: TestClient, **overrides: Any) -> Any:
    return client.post("/open311/v2/requests.json", data={**FORM, **overrides})


def test_services(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} >= {"cannot-get-done", "other"}
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    assert client.get("/open311/v2/services/other.json").json() == {"service_code": "other", "attributes": []}
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_create_and_read_back(client: TestClient, staff: Any) -> None:
    resp = post(client, lat="34.75", long="113.62", address_string="郑州市政务服务中心")
    assert resp.status_code == 200
    rid = resp.json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{rid}.json", params={"api_key": OPEN311_KEY}).json()[0]
    assert one["status"] == "open" and one["service_code"] == "system-failure"
    assert one["expected_datetime"].endswith("T23:59:59+08:00")
    assert one["lat"] == 34.75 and "13900001111" not in str(one)

    agent = staff("agent")
    client.post(f"/api/staff/cases/{rid}/transition", json={"to": "in_progress"}, headers=agent)
    client.post(f"/api/staff/cases/{rid}/reply", json={"text": "已修复"}, headers=agent)
    closed = client.get("/open311/v2/requests.json", params={"api_key": OPEN311_KEY, "status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [rid]
    assert closed[0]["status_notes"] == "已答复：已修复"
    assert client.get("/open311/v2/requests.json", params={"api_key": OPEN311_KEY, "status": "open"}).json() == []
    by_id = client.get("/open311/v2/requests.json", params={"api_key": OPEN311_KEY, "service_request_id": rid})
    assert len(by_id.json()) == 1


def test_api_key_and_errors(client: TestClient) -> None:
    assert post(client, api_key="wrong").status_code == 403
    assert client.get("/open311/v2/requests.json").status_code == 403
    assert post(client, service_code="nope").status_code == 400
    bad = post(client, phone="123")
    assert bad.status_code == 400 and "phone" in bad.json()[0]["description"]
    assert post(client, description="").status_code == 400
    assert post(client, lat="north").status_code == 400
    assert client.get("/open311/v2/requests/YS20000101-000001.json", params={"api_key": OPEN311_KEY}).status_code == 404


def test_description_and_address_leave_masked(client: TestClient) -> None:
    story = "身份证41010519900101123X被窗口扣下了，回电13912345678"
    filed = post(client, description=story, address_string="文化路12号 联系人 0371-65123456")
    rid = filed.json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{rid}.json", params={"api_key": OPEN311_KEY}).json()[0]
    assert one["description"] == "身份证4101**********123X被窗口扣下了，回电139****5678"
    assert one["address"] == "文化路12号 联系人 0371-****3456"
    listed = client.get("/open311/v2/requests.json", params={"api_key": OPEN311_KEY, "service_request_id": rid})
    assert listed.json() == [one]
    assert not any(n in listed.text for n in ("41010519900101123X", "13912345678", "65123456"))
