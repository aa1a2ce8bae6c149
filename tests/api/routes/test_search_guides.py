"""GET /api/search and GET /api/guides/{id}: the knowledge endpoints the bot, widget and console use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.deps import get_searcher
from api.main import create_app
from api.settings import get_settings
from index.search import Searcher
from tests.api.conftest import make_settings


@pytest.fixture
def client(tmp_path: Path, searcher: Searcher) -> Iterator[TestClient]:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[get_searcher] = lambda: searcher
    with TestClient(app) as c:
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
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/search", params={"q": "护照"})
    assert r.status_code == 503


def test_item_guide_has_its_window(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        r = c.get("/api/guides/ss-card-replace")
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "item"
    assert body["window_info"]["id"] == "w-social-insurance"
    assert body["materials"][0]["note"]


def test_bundle_guide_has_merged_checklist_and_window_lists_what_it_handles(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        b = c.get("/api/guides/yjs-newborn").json()
        w = c.get("/api/guides/w-police").json()
        missing = c.get("/api/guides/no-such-thing")
        item = c.get("/api/guides/marriage-registration").json()
    lines = [(m["name"], m["of"]) for m in b["merged_materials"]]
    assert len(lines) == len(set(lines)) <= 10 and set(b["member_names"]) == set(b["members"])
    assert ("居民身份证", "父母双方") in lines
    assert all({"optional_when", "data_shared", "where_to_get", "example"} <= set(m) for m in b["merged_materials"])
    assert "行政复议" in b["remedy_text"] and b["phones"]["supervise"]
    assert item["rejections"] and item["visits"] == 1 and all(m["where_to_get"] for m in item["materials"])
    assert item["phones"]["consult"] == item["phone"] and "行政复议" in item["remedy_text"]
    assert {"id": "passport", "name": "普通护照签发"} in w["handles"]
    assert missing.status_code == 404 and "没有找到" in missing.json()["detail"]


def test_an_alias_id_answers_with_the_item_it_names(tmp_path: Path) -> None:
    """new-car-registration is an alias entry (same_as) of vehicle-registration: the bot's client follows no
    redirects, so the JSON is the canonical entry, its own id included, and the bundle names that id."""
    with TestClient(create_app(make_settings(tmp_path))) as c:
        alias = c.get("/api/guides/new-car-registration", follow_redirects=False)
        canonical = c.get("/api/guides/vehicle-registration").json()
        bundle = c.get("/api/guides/yjs-new-car").json()
    assert alias.status_code == 200 and alias.json() == canonical
    assert canonical["id"] == "vehicle-registration" and canonical["kind"] == "item"
    assert "yjs-new-car" in canonical["bundles"] and "vehicle-registration" in bundle["member_names"]
