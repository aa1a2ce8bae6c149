"""The case API files under the shared phone rule (civic/phone.py; its cases are in tests/civic)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import civic.phone as shared
from api.cases import phone
from tests.civic.cases import NORMALIZED

LANDLINES = [(raw, stored) for raw, stored in NORMALIZED if "-" in stored]


def test_the_case_api_uses_the_shared_rule_itself() -> None:
    assert phone.normalize_phone is shared.normalize_phone
    assert phone.mask_phone is shared.mask_phone
    assert phone.last4("0371-65123456") == "3456"


@pytest.mark.parametrize(("raw", "stored"), LANDLINES)
def test_a_landline_complaint_is_filed_and_found(client: TestClient, raw: str, stored: str) -> None:
    """What the bot accepts ("手机或座机都行") the case API files: as the bot sends it, and as a person types it."""
    for sent in (shared.normalize_phone(raw), raw):
        body = {
            "category": "cannot-get-done",
            "description": "座机留的电话，问问进度",
            "phone": sent,
            "channel": "wechat",
        }
        resp = client.post("/api/cases", json=body)
        assert resp.status_code == 201, resp.text
        found = client.get(f"/api/cases/{resp.json()['case_no']}", params={"phone_last4": stored[-4:]})
        assert found.status_code == 200
        assert found.json()["phone"] == shared.mask_phone(stored)
