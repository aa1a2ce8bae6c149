"""GET /api/search: the knowledge endpoint the bot, widget and console use (GET /api/guides: tests/api/guides/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.deps import get_searcher
from index.search import Searcher
from tests.support.app import gateway_client, make_settings


@pytest.fixture
def client(tmp_path: Path, searcher: Searcher) -> Iterator[TestClient]:
    settings = make_settings(tmp_path)
    with gateway_client(settings, overrides={get_searcher: lambda: searcher}) as c:
        yield c


@pytest.mark.slow
def test_search_answers_with_the_cli_contract(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "社保卡丢了咋办", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"query", "took_ms", "confident", "hits"}
    assert body["hits"][0]["id"] == "ss-card-replace" and len(body["hits"]) == 3


BAD_SEARCHES = [{"q": ""}, {"q": "   "}, {"q": "护照", "k": 0}, {"q": "护照", "k": 99}, {}, {"q": "x" * 3000}]


@pytest.mark.slow
@pytest.mark.parametrize("params", BAD_SEARCHES)
def test_search_rejects_bad_input(client: TestClient, params: dict[str, object]) -> None:
    assert client.get("/api/search", params=params).status_code == 422


def test_search_without_an_index_is_503_not_a_crash(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with gateway_client(settings) as c:
        r = c.get("/api/search", params={"q": "护照"})
    assert r.status_code == 503
