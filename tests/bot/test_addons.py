"""The Rasa speed-ups keep Rasa's behaviour: same channel URL, same validation results and message."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytest.importorskip("rasa.core.actions.action")

import jsonschema
from addons import speedups
from addons.rest import RestInput
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.rest import RestInput as RasaRestInput

GOOD: dict[str, Any] = {
    "events": [{"event": "slot", "name": "guide_id", "value": "ss-card-replace", "timestamp": None}],
    "responses": [{"text": "社保卡丢了先挂失", "buttons": [{"title": "要带啥", "payload": "/ask_materials"}]}],
}
BAD: list[dict[str, Any]] = [
    {"events": [{"event": "slot"}], "responses": "x"},
    {"events": "nope"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [1]},
]


def test_channel_is_rasas_rest_channel() -> None:
    assert issubclass(RestInput, RasaRestInput)
    assert RestInput.name() == "rest"  # /webhooks/rest/webhook, which the gateway calls


def test_same_verdicts_and_messages_as_jsonschema_validate() -> None:
    speedups.apply()
    action = RemoteAction("action_answer_guide", None)
    assert action._validate_action_result(GOOD) is True
    spec = RemoteAction.action_response_format_spec()
    for bad in BAD:
        with pytest.raises(jsonschema.ValidationError) as ours:
            action._validate_action_result(bad)
        with pytest.raises(jsonschema.ValidationError) as theirs:
            jsonschema.validate(bad, spec)
        assert ours.value.message.startswith(theirs.value.message)
        assert "Failed to validate Action server response" in ours.value.message


def test_validator_is_built_once() -> None:
    speedups.apply()
    action = RemoteAction("action_answer_guide", None)
    action._validate_action_result(GOOD)
    t0 = time.perf_counter()
    for _ in range(20):
        action._validate_action_result(GOOD)
    per_call_ms = (time.perf_counter() - t0) / 20 * 1000
    # a structural check, not a benchmark: rebuilding and re-checking the schema costs ~50 ms per call
    assert speedups.action_result_validator.cache_info().misses == 1, per_call_ms
