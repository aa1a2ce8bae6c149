"""Case helpers several test folders share: a good filing, a story with personal numbers in it, filing over HTTP,
and the same app seen from another address."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

GOOD: dict[str, Any] = {
    "category": "cannot-get-done",
    "description": "社保卡补办去了两次都没办成",
    "phone": "13812345678",
    "channel": "wechat",
}


# a story with an ID number and a phone in it, and how it leaves the case system (civic/privacy.py)
STORY = "我身份证110101199003071234，窗口让我留了手机139 1234 5678，一直没人回"
MASKED_STORY = "我身份证1101**********1234，窗口让我留了手机139****5678，一直没人回"
STORY_NUMBERS = ("110101199003071234", "139 1234 5678", "13912345678")


def file_case(client: TestClient, **overrides: Any) -> dict[str, Any]:
    resp = client.post("/api/cases", json={**GOOD, **overrides})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def from_address(client: TestClient, host: str) -> TestClient:
    """The same app seen from another peer address (what uvicorn's --proxy-headers puts in request.client)."""
    return TestClient(client.app, client=(host, 50000))


# a filing limit no test of many filings reaches (api/cases: per IP and per phone)
NO_FILING_LIMITS: dict[str, Any] = {"case_rate_ip_burst": 1000, "case_rate_phone_burst": 1000}
