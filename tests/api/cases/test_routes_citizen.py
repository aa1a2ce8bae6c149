"""The citizen contract: categories, filing, tracking with phone_last4, rating, and every bad-input answer."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cases.states import Status

GOOD: dict[str, Any] = {
    "category": "cannot-get-done",
    "description": "社保卡补办去了两次都没办成",
    "phone": "13812345678",
    "channel": "wechat",
}


def file_case(client: TestClient, **overrides: Any) -> dict[str, Any]:
    resp = client.post("/api/cases", json={**GOOD, **overrides})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_categories(client: TestClient) -> None:
    cats = client.get("/api/cases/categories").json()
    assert [c["name"] for c in cats] == ["办不成事", "服务态度", "超时未办", "重复或额外索要材料", "系统故障", "其他"]
    assert all(set(c) == {"code", "name"} for c in cats)


def test_create_returns_number_status_deadline(client: TestClient) -> None:
    body = file_case(client, item_id="appointment", window_id="w-complaint")
    assert body["case_no"].startswith("YS") and body["status"] == "received" and body["deadline"]


def test_same_idempotency_key_same_case(client: TestClient) -> None:
    first = file_case(client, idempotency_key="wx-123")
    again = file_case(client, idempotency_key="wx-123")
    other = file_case(client, idempotency_key="wx-456")
    assert first == again
    assert other["case_no"] != first["case_no"]


def test_track_with_last4_shows_masked_phone_and_public_timeline(client: TestClient) -> None:
    no = file_case(client)["case_no"]
    resp = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["phone"] == "138****5678"
    assert "13812345678" not in resp.text
    assert body["status_name"] == "受理" and body["timeline"][0]["kind"] == "created"


def test_wrong_pair_looks_exactly_like_unknown_case(client: TestClient) -> None:
    no = file_case(client)["case_no"]
    wrong = client.get(f"/api/cases/{no}", params={"phone_last4": "0000"})
    unknown = client.get("/api/cases/YS20000101-000001", params={"phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.headers.get("content-length") == unknown.headers.get("content-length")


def test_guessing_last4_is_throttled(client: TestClient) -> None:
    no = file_case(client)["case_no"]
    codes = [client.get(f"/api/cases/{no}", params={"phone_last4": f"{i:04d}"}).status_code for i in range(12)]
    assert codes[:10] == [404] * 10 and codes[10:] == [429, 429]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": None}, "description"),
        ({"description": "字" * 2001}, "description"),
        ({"phone": "98765"}, "phone"),
        ({"phone": "1390000999"}, "phone"),
        ({"category": "no-such-category"}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"item_id": "no-such-item"}, "item_id"),
        ({"window_id": "no-such-window"}, "window_id"),
    ],
)
def test_bad_input_is_422_in_chinese_without_echo(client: TestClient, patch: dict[str, Any], field: str) -> None:
    body = {**GOOD, **patch}
    if patch.get("description", "") is None:
        del body["description"]
    resp = client.post("/api/cases", json=body)
    assert resp.status_code == 422
    errors = resp.json()["detail"]
    assert [e["field"] for e in errors] == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors[0]["msg"])
    if field == "phone":
        assert patch["phone"] not in resp.text and "input" not in errors[0]


def test_description_of_exactly_2000_characters_is_fine(client: TestClient) -> None:
    file_case(client, description="字" * 2000)


def test_landline_is_accepted(client: TestClient) -> None:
    no = file_case(client, phone="0371-61234567")["case_no"]
    body = client.get(f"/api/cases/{no}", params={"phone_last4": "4567"}).json()
    assert body["phone"] == "0371-****4567"


def test_oversized_body_is_refused_before_parsing(client: TestClient) -> None:
    resp = client.post("/api/cases", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"})
    assert resp.status_code == 413


def test_rating_rules(client: TestClient, staff: Any) -> None:
    no = file_case(client)["case_no"]
    rate = {"phone_last4": "5678", "score": 5, "comment": "很好"}
    assert client.post(f"/api/cases/{no}/rating", json=rate).status_code == 409  # nothing answered yet
    for score in (0, 6, "5"):
        assert client.post(f"/api/cases/{no}/rating", json={**rate, "score": score}).status_code == 422
    assert client.post(f"/api/cases/{no}/rating", json={**rate, "phone_last4": "0000"}).status_code == 404
    assert client.post("/api/cases/YS20000101-000001/rating", json=rate).status_code == 404

    agent = staff("agent")
    client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=agent)
    assert client.post(f"/api/staff/cases/{no}/reply", json={"text": "已为您办结"}, headers=agent).status_code == 200
    resp = client.post(f"/api/cases/{no}/rating", json={**rate, "score": 1, "comment": "不满意"})
    assert resp.status_code == 200 and resp.json()["status"] == Status.SUPERVISED.value
    body = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).json()
    assert body["status_name"] == "督办" and body["reply"] == "已为您办结"


def test_hundred_parallel_http_creates(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=20) as pool:
        bodies = list(pool.map(lambda i: file_case(client, description=f"并发 {i}"), range(100)))
    assert len({b["case_no"] for b in bodies}) == 100


def test_full_phone_never_reaches_the_logs(client: TestClient, staff: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    agent = staff("agent")
    no = file_case(client, phone="13987654321")["case_no"]
    client.get(f"/api/cases/{no}", params={"phone_last4": "4321"})
    client.post("/api/cases", json={**GOOD, "phone": "1398765432"})
    client.get(f"/api/staff/cases/{no}", headers=agent)
    assert caplog.records, "expected some log lines to check"
    assert not any("13987654321" in r.getMessage() or "1398765432" in r.getMessage() for r in caplog.records)
