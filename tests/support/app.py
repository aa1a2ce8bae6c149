"""The gateway under test, built one way: settings for a throwaway SQLite file, the app under a TestClient, or the
app served by uvicorn on a free loopback port for a browser or a real HTTP client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.core.db import Database
from api.main import create_app
from api.settings import Settings
from tools.services import free_port

OPEN311_KEY = "test-open311-key"
PASSWORD = "correct horse battery"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """load_searcher=False keeps the embedding model out of these tests; background loops are driven by hand."""
    values: dict[str, Any] = {
        "app_env": "test",
        "load_searcher": False,
        "database_url": f"sqlite:///{tmp_path / 'cases.db'}",
        "case_background": False,
        "open311_api_keys": OPEN311_KEY,
        "log_level": "WARNING",  # INFO lines from background threads would reach the terminal between tests
        # a long first wait past a guess limit: a slow machine must not outlast it mid-test and get a guess back
        # (tests of the wait itself set their own)
        "guess_slowdown_s": 600.0,
    }
    values.update(overrides)
    return Settings(**values)


def gateway_client(
    settings: Settings, *, overrides: Mapping[Callable[..., Any], Callable[..., Any]] | None = None, **options: Any
) -> TestClient:
    """A TestClient of the app `settings` describe, not started: `with gateway_client(s) as c:` runs the lifespan.

    `overrides` are FastAPI dependency overrides; `options` go to TestClient (raise_server_exceptions, client)."""
    app = create_app(settings)
    app.dependency_overrides.update(overrides or {})
    return TestClient(app, **options)


def db_of(client: TestClient) -> Database:
    """The case database of the app under `client`."""
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    return db


@contextmanager
def live_server(
    app: FastAPI, *, lifespan: Literal["auto", "on", "off"] = "on", start_timeout_s: float = 60.0
) -> Iterator[str]:
    """`app` under uvicorn in a thread on a free 127.0.0.1 port, until the block ends; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
