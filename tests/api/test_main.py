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
