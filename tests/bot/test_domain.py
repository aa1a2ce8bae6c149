"""The domain as Rasa renders it: no response logs an error, and every button payload parses to declared names.

Rasa fills `{placeholders}` in a domain response's text and button payloads from the slots. A literal JSON
payload such as `/inform{"rating_score":"5"}` looks like a placeholder, so Rasa logs an ERROR whose traceback
carries the local `values`: every slot, a citizen's phone among them. These tests need no trained model.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("rasa.core.nlg.response")

import structlog
from actions.common import button, say
from actions.guides import relay
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.executor import CollectingDispatcher

from tests.bot.conftest import BOT

PHONE = "13812345678"
ID_NUMBER = "11010119900307123X"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(BOT / "domain"))


def rendered(domain: Domain) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every variation of every response, filled as Rasa fills it, with personal data in the slots."""
    slots = [
        SlotSet("complaint_phone", PHONE),
        SlotSet("complaint_description", f"我的身份证{ID_NUMBER}办不了"),
        SlotSet("last_guide_id", "ss-card-replace"),
    ]
    tracker = DialogueStateTracker.from_events("test-user", slots, domain.slots)
    for name, variations in domain.responses.items():
        for variation in variations:
            # the variables an action passes with the response, e.g. utter(..., name=..., phone=masked)
            variables = {v: "x" for v in PLACEHOLDER.findall(variation.get("text") or "")}
            nlg = TemplatedNaturalLanguageGenerator({name: [copy.deepcopy(variation)]})
            message = asyncio.run(nlg.generate(name, tracker, "rest", **variables))
            assert message is not None, name
            yield name, message


@contextlib.contextmanager
def rasa_json_logs() -> Iterator[io.StringIO]:
    """structlog as `rasa run` sets it up off a terminal (rasa.utils.log_utils): JSON with dict tracebacks."""
    saved = structlog.get_config()
    out = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.dev.set_exc_info,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    try:
        yield out
    finally:
        structlog.configure(**saved)


def test_no_response_logs_an_error_or_a_slot_value(rasa_domain: Domain, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with rasa_json_logs() as out:
        names = [name for name, _ in rendered(rasa_domain)]
    assert names
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    errors = [(e.get("event"), e.get("response")) for e in lines if e.get("level") in ("error", "critical")]
    errors += [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    logged = out.getvalue() + caplog.text
    for value in (PHONE, ID_NUMBER, "ss-card-replace"):
        assert value not in logged, value


def test_button_payloads_reach_rasa_as_declared_intents_and_entities(rasa_domain: Domain) -> None:
    payloads: dict[str, str] = {}
    for name, message in rendered(rasa_domain):
        for b in message.get("buttons") or []:
            payloads[f"{name}/{b['title']}"] = b["payload"]
    assert payloads
    for where, payload in payloads.items():
        assert payload.startswith("/"), where
        intent, _, entities = payload[1:].partition("{")
        if entities:  # single braces once rendered: the JSON the gateway and Rasa's regex reader expect
            assert isinstance(json.loads("{" + entities), dict), where
        parsed = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: payload}), domain=rasa_domain)
        assert parsed.get(INTENT, {}).get("name") == intent and intent in rasa_domain.intents, where
        for entity in parsed.get(ENTITIES) or []:
            assert entity[ENTITY_ATTRIBUTE_TYPE] in rasa_domain.entities, where
    assert payloads["utter_ask_rating_score/5 非常满意"] == '/inform{"rating_score":"5"}'
    assert payloads["utter_ask_complaint_item/跳过"] == '/inform{"complaint_item":"none"}'
    skip = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: payloads["utter_ask_complaint_item/跳过"]}))
    assert [(e[ENTITY_ATTRIBUTE_TYPE], e[ENTITY_ATTRIBUTE_VALUE]) for e in skip.get(ENTITIES)] == [
        ("complaint_item", "none")
    ]


def test_action_buttons_pass_through_rasa_unchanged(rasa_domain: Domain, make_tracker: Callable[..., Any]) -> None:
    """Buttons an action adds or relays are not filled by Rasa; the domain's own buttons beside them are."""
    dispatcher = CollectingDispatcher()
    sdk_tracker = make_tracker("护照", slots={"complaint_phone": PHONE})
    clarify = {
        "type": "buttons",
        "text": "您问的是哪一件？",
        "buttons": [button("护照", "choose_guide", guide_id="passport")],
    }
    relay(dispatcher, sdk_tracker, {"decision": "clarify", "messages": [clarify]})  # the gateway's words, as they are
    say(
        dispatcher,
        sdk_tracker,
        "utter_ask_complaint_item",
        buttons=[button("护照", "inform", complaint_item="passport")],
    )
    tracker = DialogueStateTracker.from_events("test-user", [SlotSet("complaint_phone", PHONE)], rasa_domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    with rasa_json_logs() as out:
        uttered = asyncio.run(
            RemoteAction._utter_responses(dispatcher.messages, CollectingOutputChannel(), nlg, tracker)
        )
    assert [[b["payload"] for b in u.data["buttons"]] for u in uttered] == [
        ['/choose_guide{"guide_id":"passport"}'],
        ['/inform{"complaint_item":"none"}', '/inform{"complaint_item":"passport"}'],
    ]
    assert '"level": "error"' not in out.getvalue() and PHONE not in out.getvalue()
