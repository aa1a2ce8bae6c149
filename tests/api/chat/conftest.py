"""Chat fixtures: a fake Rasa REST server on loopback and a gateway wired to it (real index, throwaway SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.catalogue import Catalogue
from index.search import Searcher
from tests.support.app import gateway_client, make_settings
from tests.support.fake_rasa import FakeRasa
from tools.services import free_port

QUESTION = "社保卡丢了怎么补办"


def dead_url() -> str:
    """A loopback URL nobody listens on: Rasa is down."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    try:
        yield fake
    finally:
        fake.stop()


ClientFactory = Callable[..., TestClient]


@pytest.fixture(scope="session")
def chat_searcher(request: pytest.FixtureRequest, root: Path, cat: Catalogue) -> Searcher:
    """The index `make run` keeps in var/index when it is fresh for these guides (saves minutes); else a fresh build."""
    from index.build import is_stale
    from index.embed import default_model

    built = root / "var" / "index"
    if not is_stale(built, cat, default_model()):
        encoder = request.getfixturevalue("encoder")
        return Searcher(built, encoder)
    searcher: Searcher = request.getfixturevalue("searcher")
    return searcher


@pytest.fixture
def make_client(tmp_path: Path, chat_searcher: Searcher) -> Iterator[ClientFactory]:
    """make_client(rasa_url=..., **settings) -> a started TestClient whose app searches the session index."""
    opened: list[TestClient] = []

    def factory(*, with_searcher: bool = True, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"chat_budget_s": 0.5, "chat_breaker_failures": 0}
        values.update(overrides)
        settings = make_settings(tmp_path, **values)
        client = gateway_client(settings, raise_server_exceptions=False)
        client.__enter__()
        if with_searcher:
            client.app.state.app.searcher = chat_searcher  # type: ignore[attr-defined]
        opened.append(client)
        return client

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory, fake_rasa: FakeRasa) -> TestClient:
    return make_client(rasa_url=fake_rasa.url)
