"""What a production gateway serves beyond the product: no API docs (they load a CDN), /metrics only with a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import MIN_SECRET_CHARS
from tests.support.app import gateway_client, make_settings

SECRETS: dict[str, Any] = {"secret_key": "k" * MIN_SECRET_CHARS, "internal_token": "t" * MIN_SECRET_CHARS}
OPEN311 = "o" * MIN_SECRET_CHARS


def _client(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, open311_api_keys=OPEN311, **{**SECRETS, **overrides})
    with gateway_client(settings) as c:
        yield c


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, app_env="production", log_format="text")


@pytest.mark.parametrize("path", ["/api/docs", "/api/openapi.json", "/redoc", "/metrics"])
def test_production_serves_no_docs_and_no_open_metrics(production: TestClient, path: str) -> None:
    assert production.get(path).status_code == 404


def test_production_metrics_need_the_token(tmp_path: Path) -> None:
    token = "m" * MIN_SECRET_CHARS
    for c in _client(tmp_path, app_env="production", log_format="text", metrics_token=token):
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_development_keeps_the_docs_without_redoc(tmp_path: Path) -> None:
    for c in _client(tmp_path, app_env="development"):
        assert c.get("/api/openapi.json").status_code == 200
        assert c.get("/redoc").status_code == 404


def test_the_search_gets_the_gateways_index_settings(tmp_path: Path, index_dir: Path) -> None:
    """SEARCH_CACHE_SIZE and the encoder's settings reach the search through Settings (index_settings), not through
    the index's own reading of the environment; the index reloader gets the same."""
    settings = make_settings(
        tmp_path, load_searcher=True, index_dir=index_dir, index_watch_s=0, search_cache_size=7, embed_threads=1
    )
    with gateway_client(settings) as c:
        app = c.app.state  # type: ignore[attr-defined]
        assert app.app.searcher is not None and app.app.searcher.cache_size == 7
        assert app.index_reloader.index_settings.search_cache_size == 7
