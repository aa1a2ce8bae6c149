"""Small talk and fallbacks, routed by intent to domain responses so every message carries the meta payload."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import intent_of, say
from actions.guides import ask, entry_id, not_answered, respond, words
from actions.pending import retry_pending_complaint

REPLIES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_thank",
    "affirm": "utter_anything_else",
    "deny": "utter_anything_else",
    "stop": "utter_form_cancelled",
    "hotline": "utter_hotline",
}


class ActionReply(Action):
    def name(self) -> str:
        return "action_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        say(dispatcher, tracker, REPLIES.get(intent_of(tracker)[0] or "", "utter_anything_else"))
        return events


class ActionFallback(Action):
    """Out of scope, stray form answers and core fallback: a polite reply; two misses in a row hand over."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        out_of_scope = intent_of(tracker)[0] == "out_of_scope"
        text = words(tracker)
        if out_of_scope and text:
            # the NLU says "not ours", but pinyin or an unusual wording of a covered errand is still found by
            # search: the gateway's decision answers it, or abstains and we decline as before
            answer = await ask(dispatcher, tracker, q=text, last=entry_id(tracker.get_slot("last_guide_id")))
            if answer is None:
                return events
            if answer.get("decision") != "abstain" and answer.get("messages"):
                return events + await respond(dispatcher, tracker, answer)
        response = "utter_out_of_scope" if out_of_scope else "utter_default"
        return events + await not_answered(dispatcher, tracker, response)
