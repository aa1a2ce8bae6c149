"""The citizen contract: categories, filing, tracking with phone_last4, rating, and every bad-input answer."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cases import service
from api.cases.states import Status
from tests.support.app import gateway_client, make_settings
from tests.support.cases import GOOD, NO_FILING_LIMITS, STORY, STORY_NUMBERS, file_case, from_address


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


def test_one_client_guessing_across_case_numbers_is_slowed_down(client: TestClient) -> None:
    limit = client.app.state.settings.guess_client_max_failures  # type: ignore[attr-defined]
    codes = []
    for n in range(1, limit + 3):  # one guess on each of many sequential numbers
        resp = client.get(f"/api/cases/YS20000101-{n:06d}", params={"phone_last4": "0000"})
        codes.append(resp.status_code)
    assert codes[:limit] == [404] * limit and codes[limit:] == [429, 429]
    assert int(resp.headers["retry-after"]) >= 1
    other = from_address(client, "198.51.100.7")  # a citizen elsewhere is not slowed by it
    assert other.get("/api/cases/YS20000101-000001", params={"phone_last4": "0000"}).status_code == 404


def test_owner_gets_the_case_while_someone_else_guesses_on_it(client: TestClient) -> None:
    no = file_case(client)["case_no"]
    attacker = from_address(client, "203.0.113.9")
    codes = [attacker.get(f"/api/cases/{no}", params={"phone_last4": f"{i:04d}"}).status_code for i in range(12)]
    assert codes[-2:] == [429, 429]
    owner = from_address(client, "198.51.100.7")
    assert owner.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).status_code == 200
    rate = {"phone_last4": "5678", "score": 5, "comment": "好"}
    assert owner.post(f"/api/cases/{no}/rating", json=rate).status_code == 409  # reached the case: not answered yet
    assert attacker.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).status_code == 429  # still waiting


def test_a_slowed_client_gets_its_turn_after_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, guess_slowdown_s=0.2)
    with gateway_client(settings) as client:
        no = file_case(client)["case_no"]
        for i in range(10):
            client.get(f"/api/cases/{no}", params={"phone_last4": f"{i:04d}"})
        slowed = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"})
        assert slowed.status_code == 429 and slowed.headers["retry-after"] == "1"
        time.sleep(0.3)
        assert client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}).status_code == 200  # a wait, not a ban


def test_the_action_server_speaks_for_many_citizens(tmp_path: Path) -> None:
    """Its address is every chat user's: their typos add up per case, not into one count that slows them all."""
    token = "test-internal-token-0123456789"
    with gateway_client(make_settings(tmp_path, internal_token=token)) as client:
        bot = {"X-Internal-Token": token}
        for n in range(1, 41):
            resp = client.get(f"/api/cases/YS20000101-{n:06d}", params={"phone_last4": "0000"}, headers=bot)
            assert resp.status_code == 404
        no = file_case(client)["case_no"]
        assert client.get(f"/api/cases/{no}", params={"phone_last4": "5678"}, headers=bot).status_code == 200
        codes = [
            client.get(f"/api/cases/{no}", params={"phone_last4": f"{i:04d}"}, headers=bot).status_code
            for i in range(12)
        ]
        assert codes[:10] == [404] * 10 and codes[10:] == [429, 429]  # guessing one case through the bot is capped
        fake = {"X-Internal-Token": "not-the-token"}  # anyone else is counted by address as usual
        codes = [
            client.get(f"/api/cases/YS20000102-{n:06d}", params={"phone_last4": "0000"}, headers=fake).status_code
            for n in range(1, 41)
        ]
        assert codes[-1] == 429


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


def test_an_alias_item_id_is_filed_as_the_item_it_names(client: TestClient) -> None:
    """new-car-registration is an alias entry (same_as) of vehicle-registration: one id per service in the cases."""
    no = file_case(client, item_id="new-car-registration")["case_no"]
    with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        case = service.get_case(session=session, case_no=no)
        assert case is not None and case.item_id == "vehicle-registration"


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


def test_what_the_citizen_wrote_leaves_masked_and_staff_words_as_written(client: TestClient, staff: Any) -> None:
    no = file_case(client, description=STORY)["case_no"]
    agent = staff("agent")
    client.post(f"/api/staff/cases/{no}/transition", json={"to": "in_progress"}, headers=agent)
    client.post(f"/api/staff/cases/{no}/reply", json={"text": "请致电 0371-65123456 预约"}, headers=agent)
    rate = {"phone_last4": "5678", "score": 1, "comment": "身份证110101199003071234还是办不了，打13912345678"}
    assert client.post(f"/api/cases/{no}/rating", json=rate).status_code == 200
    resp = client.get(f"/api/cases/{no}", params={"phone_last4": "5678"})
    notes = [e["note"] for e in resp.json()["timeline"] if e["kind"] == "rating"]
    assert notes == ["评价 1 分：身份证1101**********1234还是办不了，打139****5678"]
    assert not any(n in resp.text for n in STORY_NUMBERS)
    assert resp.json()["reply"] == "请致电 0371-65123456 预约"  # the office's number, for the citizen to call
    with client.app.state.cases.db.sessions() as session:  # type: ignore[attr-defined]
        case = service.get_case(session=session, case_no=no)
        assert case is not None and case.description == STORY  # stored complete
        assert case.ratings[0].comment == rate["comment"]


# the numbering under load is tested here, not the filing limits (test_citizen_filing.py)


def test_hundred_parallel_http_creates(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with (
        gateway_client(make_settings(tmp_path, **NO_FILING_LIMITS)) as client,
        ThreadPoolExecutor(max_workers=20) as pool,
    ):
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


def test_the_story_never_reaches_the_logs(client: TestClient, staff: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    agent = staff("agent")
    no = file_case(client, description=STORY)["case_no"]
    client.get(f"/api/cases/{no}", params={"phone_last4": "5678"})
    client.get("/api/staff/cases", headers=agent)
    client.post(f"/api/staff/cases/{no}/description", headers=agent)
    assert caplog.records, "expected some log lines to check"
    assert not any(n in r.getMessage() for r in caplog.records for n in (*STORY_NUMBERS, STORY))
