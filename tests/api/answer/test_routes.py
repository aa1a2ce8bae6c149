"""GET /api/answer: the shape the actions read, bad input refused, anyone but the action server rate-limited."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.app import gateway_client, make_settings

TOKEN = "answer-test-internal-token"


def _client(tmp_path: Path) -> TestClient:
    settings = make_settings(tmp_path, internal_token=TOKEN, chat_rate_ip_burst=2, chat_rate_ip_per_min=0.001)
    return gateway_client(settings)


def test_an_entry_by_id_answers_in_the_contract_shape(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        body = c.get("/api/answer", params={"id": "passport", "asked": "fee"}, headers={"X-Internal-Token": TOKEN})
        assert body.status_code == 200, body.text
        data = body.json()
        assert set(data) == {"decision", "asked", "route", "confidence", "choices", "messages"}
        assert data["decision"] == "answer" and data["route"] == {"kind": "guide", "id": "passport"}
        assert data["asked"] == "fee" and data["messages"][0]["type"] == "text"


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        headers = {"X-Internal-Token": TOKEN}
        assert c.get("/api/answer", headers=headers).status_code == 422
        assert c.get("/api/answer", params={"id": "Not An Id"}, headers=headers).status_code == 422
        assert c.get("/api/answer", params={"q": "x" * 2001}, headers=headers).status_code == 422
        unknown = c.get("/api/answer", params={"id": "no-such-entry"}, headers=headers).json()
        assert unknown["decision"] == "abstain"


def test_only_the_action_server_is_unlimited(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        params = {"id": "passport"}
        codes = [c.get("/api/answer", params=params).status_code for _ in range(4)]
        assert codes[:2] == [200, 200] and codes[-1] == 429
        assert c.get("/api/answer", params=params).headers.get("Retry-After")
        assert all(
            c.get("/api/answer", params=params, headers={"X-Internal-Token": TOKEN}).status_code == 200
            for _ in range(4)
        )


def test_an_alias_id_is_answered_as_the_item_it_names(tmp_path: Path) -> None:
    """A bot entity or an older session may still carry new-car-registration (an alias entry, same_as)."""
    with _client(tmp_path) as c:
        headers = {"X-Internal-Token": TOKEN}
        by_alias = c.get("/api/answer", params={"id": "new-car-registration", "asked": "fee"}, headers=headers).json()
        by_item = c.get("/api/answer", params={"id": "vehicle-registration", "asked": "fee"}, headers=headers).json()
    assert by_alias["decision"] == "answer" and by_alias["route"] == {"kind": "guide", "id": "vehicle-registration"}
    assert by_alias["messages"] == by_item["messages"]
