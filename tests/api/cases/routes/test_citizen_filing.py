"""Who may file on POST /api/cases, under which channel, and how often (per client address and per phone)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.cases import service
from api.core.db import Database
from api.settings import Settings
from tests.support.app import gateway_client, make_settings
from tests.support.cases import from_address
from tools.services import ThrowawayRedis

INTERNAL = "test-internal-token-0123456789"
BOT = {"X-Internal-Token": INTERNAL}  # what bot/actions/clients/gateway.py sends
GOOD: dict[str, Any] = {
    "category": "cannot-get-done",
    "description": "社保卡补办去了两次都没办成",
    "phone": "13812345678",
    "channel": "wechat",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared `client` fixture, with an internal token the action server can present."""
    return make_settings(tmp_path, internal_token=INTERNAL)


def post(client: TestClient, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    return client.post("/api/cases", json={**GOOD, **fields}, headers=headers or {})


def recorded_channel(client: TestClient, case_no: str) -> str:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        case = service.get_case(session=session, case_no=case_no)
        assert case is not None
        return case.channel


def case_count(client: TestClient) -> int:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        return service.list_cases(session=session, flt=service.CaseFilter(), limit=1)[1]


def phone(n: int) -> str:
    return f"1391234{n:04d}"


def test_a_public_filing_is_recorded_as_web_whatever_channel_it_claims(client: TestClient) -> None:
    for claimed in ("wechat", "widget", "telegram", "miniprogram", None):
        body = {**GOOD, "channel": claimed} if claimed else {k: v for k, v in GOOD.items() if k != "channel"}
        resp = client.post("/api/cases", json=body)
        assert resp.status_code == 201, (claimed, resp.text)
        assert recorded_channel(client, resp.json()["case_no"]) == "web", claimed


@pytest.mark.parametrize("channel", ["hotline", "window", "open311"])
@pytest.mark.parametrize("headers", [{}, BOT], ids=["public", "action-server"])
def test_staff_channels_are_refused(client: TestClient, channel: str, headers: dict[str, str]) -> None:
    """Hotline and window cases come from the console, Open311 from its own routes: never from this API."""
    resp = post(client, headers, channel=channel)
    assert resp.status_code == 422
    errors = resp.json()["detail"]
    assert [e["field"] for e in errors] == ["channel"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors[0]["msg"])
    assert case_count(client) == 0


@pytest.mark.parametrize("channel", ["wechat", "miniprogram", "telegram", "widget"])
def test_the_action_server_names_the_citizens_channel(client: TestClient, channel: str) -> None:
    resp = post(client, BOT, channel=channel)
    assert resp.status_code == 201, resp.text
    assert recorded_channel(client, resp.json()["case_no"]) == channel


def test_a_wrong_internal_token_is_refused_not_taken_for_a_citizen(client: TestClient) -> None:
    resp = post(client, {"X-Internal-Token": "not-the-token"})
    assert resp.status_code == 401
    assert case_count(client) == 0


def test_public_filing_is_limited_per_client_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, internal_token=INTERNAL, case_rate_ip_burst=3, case_rate_phone_burst=100)
    with gateway_client(settings) as client:
        codes = [post(client, phone=phone(n)).status_code for n in range(3)]
        refused = post(client, phone=phone(3))
        assert codes == [201] * 3 and refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.json()["detail"])
        assert case_count(client) == 3
        assert post(from_address(client, "198.51.100.7"), phone=phone(4)).status_code == 201  # someone elsewhere
        # the action server speaks for every chat user from one address: no per-address limit for it
        assert [post(client, BOT, phone=phone(n)).status_code for n in range(5, 10)] == [201] * 5


def test_filing_is_limited_per_phone_even_through_the_action_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, internal_token=INTERNAL, case_rate_ip_burst=100, case_rate_phone_burst=2)
    with gateway_client(settings) as client:
        assert [post(client, BOT).status_code for _ in range(2)] == [201, 201]
        refused = post(client, BOT)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "13812345678" not in refused.text and "5678" not in refused.text
        elsewhere = from_address(client, "198.51.100.7")
        assert post(elsewhere, phone="138 1234 5678").status_code == 429  # the same number, written another way
        assert post(elsewhere, phone=phone(1)).status_code == 201
        assert post(client, BOT, phone="0371-61234567").status_code == 201
        assert post(client, BOT, phone="037161234567").status_code == 201
        assert post(client, BOT, phone="0371 6123 4567").status_code == 429


def test_replicas_share_the_limits_through_redis_and_keep_no_phone_there(
    tmp_path: Path, redis_server: ThrowawayRedis
) -> None:
    def replica() -> TestClient:  # two gateways on one database and one Redis
        settings = make_settings(tmp_path, redis_url=redis_server.url, internal_token=INTERNAL, case_rate_phone_burst=2)
        return gateway_client(settings)

    number = f"1370000{uuid.uuid4().int % 10_000:04d}"
    with replica() as a, replica() as b:
        assert post(a, BOT, phone=number).status_code == 201
        assert post(b, BOT, phone=number).status_code == 201
        assert post(a, BOT, phone=number).status_code == 429  # the third, wherever it lands
        assert post(b, BOT, phone=number).status_code == 429
    keys = [k.decode() for k in redis.Redis.from_url(redis_server.url).keys("*")]
    assert keys and not any(number in k for k in keys)
