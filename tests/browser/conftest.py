"""Browser fixtures: the real gateway under uvicorn on a free loopback port, a fake Rasa, Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.chat.conftest import chat_searcher  # noqa: F401  (re-exported fixture)
from tests.support.fake_rasa import FakeRasa

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
INTERNAL_TOKEN = "browser-test-internal-token"


@dataclass
class Live:
    url: str
    rasa: FakeRasa
    app: Any


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, chat_searcher: Any) -> Iterator[Live]:  # noqa: F811
    from api.main import create_app
    from tests.support.app import live_server, make_settings

    rasa = FakeRasa(internal_token=INTERNAL_TOKEN).start()  # its 转人工 opens a handoff, as the action server does
    settings = make_settings(
        tmp_path_factory.mktemp("browser"),
        rasa_url=rasa.url,
        chat_budget_s=1.0,
        chat_breaker_failures=0,
        internal_token=INTERNAL_TOKEN,
    )
    app = create_app(settings)
    try:
        with live_server(app) as url:
            app.state.app.searcher = chat_searcher
            rasa.gateway_url = url
            yield Live(url=url, rasa=rasa, app=app)
    finally:
        rasa.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is missing: run `make setup` (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    """A fresh phone-sized page (empty localStorage) for each test."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=1)
    p = context.new_page()
    p.set_default_timeout(15_000)
    try:
        yield p
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
