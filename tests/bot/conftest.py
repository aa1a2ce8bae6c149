"""Fixtures for the bot's action tests; they run in .venv-rasa and are skipped where rasa_sdk is absent."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bot.fake_gateway import FakeGateway

BOT = Path(__file__).resolve().parents[2] / "bot"

if importlib.util.find_spec("rasa_sdk") is None:  # the app's .venv has no Rasa: these tests belong to .venv-rasa
    collect_ignore_glob = ["test_*.py"]
elif str(BOT) not in sys.path:
    sys.path.insert(0, str(BOT))


def load_domain() -> dict[str, Any]:
    """bot/domain/*.yml merged, as Rasa sends it to the action server."""
    merged: dict[str, Any] = {"intents": [], "slots": {}, "forms": {}, "responses": {}, "actions": []}
    for path in sorted((BOT / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("slots", "forms", "responses"):
            merged[key].update(part.get(key) or {})
        for key in ("intents", "actions"):
            merged[key].extend(part.get(key) or [])
    return merged


@pytest.fixture
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with FakeGateway() as fake:
        monkeypatch.setenv("GATEWAY_URL", fake.url)
        monkeypatch.setenv("GATEWAY_TIMEOUT", "2")
        monkeypatch.setenv("INTERNAL_TOKEN", fake.state.internal_token)
        yield fake


@pytest.fixture
def make_tracker() -> Callable[..., Any]:
    """Build a Tracker as the action server would receive it."""
    from rasa_sdk import Tracker

    def build(
        text: str = "",
        intent: str = "ask_howto",
        confidence: float = 0.97,
        slots: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        active_loop: str | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> Any:
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "metadata": {},
        }
        history = events if events is not None else [{"event": "user", "text": text, "parse_data": message}]
        return Tracker(
            sender_id="test-user",
            slots=dict(slots or {}),
            latest_message=message,
            events=history,
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return build


@pytest.fixture
def run_action() -> Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Run an action against a tracker; returns (messages, events)."""
    from rasa_sdk.executor import CollectingDispatcher

    domain = load_domain()

    def run(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, domain))
        return dispatcher.messages, list(events)

    return run
