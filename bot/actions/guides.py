"""Answers from the guides: the gateway's one answer decision (GET /api/answer), relayed as the gateway words it.

Rasa decides the intent and keeps the dialogue state (last entry, last asked aspect, misses); what to answer and
how it is worded is the gateway's, so the bot and the degraded path (Rasa down) give the same answer.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayError
from actions.common import ROUTE_KINDS, client, intent_of, meta, say
from actions.forms import is_story
from actions.handoff import hand_over
from actions.pending import retry_pending_complaint

MAX_QUERY_CHARS = 500  # the gateway refuses queries over 2,000 characters and searches only the first 500
MISSES_BEFORE_HANDOFF = 2
ASPECTS = frozenset({"fee", "time", "where", "online", "materials", "who", "whole"})
FOLLOWUP_ASPECTS = {
    "ask_materials": "materials",
    "ask_location": "where",
    "ask_time": "time",
    "ask_online": "online",
    "ask_fee": "fee",
}
ENTRY_KINDS = {route: kind for kind, route in ROUTE_KINDS.items()}  # the answer's route kind -> last_guide_kind
ENTRY_ID = re.compile(r"^[a-z0-9-]{1,64}$")  # the ids the gateway takes; anything else cannot name an entry


def aspect(value: Any) -> str | None:
    """One of the seven aspects the gateway takes as `asked`/`last_asked`; None for overview, faq, site:…"""
    return value if value in ASPECTS else None


def entry_id(value: Any) -> str | None:
    return value if isinstance(value, str) and ENTRY_ID.match(value) else None


def relay(dispatcher: CollectingDispatcher, tracker: Tracker, answer: dict[str, Any]) -> None:
    """Utter the gateway's messages in order, each with the meta payload routed to the answer's entry."""
    route = answer.get("route") or {}
    kind, route_id = route.get("kind") or "none", route.get("id")
    for message in answer.get("messages") or []:
        custom = meta(tracker, kind, route_id)
        text = message.get("text") or None
        if message.get("type") == "guide_card" and isinstance(message.get("card"), dict):
            dispatcher.utter_message(json_message={**custom, "guide_card": message["card"]})
        elif message.get("type") == "link" and message.get("url"):
            dispatcher.utter_message(json_message={**custom, "link": message["url"], "title": text or message["url"]})
        else:
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b["payload"])}
                for b in message.get("buttons") or []
                if isinstance(b, dict) and b.get("payload")
            ]
            if text or buttons:
                dispatcher.utter_message(text=text, buttons=buttons, json_message=custom)


async def not_answered(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[EventType]:
    """Say plainly that there is no answer; the second miss in a row hands over to a person."""
    misses = int(tracker.get_slot("miss_count") or 0) + 1
    say(dispatcher, tracker, response)
    if misses >= MISSES_BEFORE_HANDOFF:
        say(dispatcher, tracker, "utter_handoff_after_misses", kind="handoff")
        return [*await hand_over(dispatcher, tracker, reason="repeated_misses"), SlotSet("miss_count", 0.0)]
    return [SlotSet("miss_count", float(misses))]


async def ask(dispatcher: CollectingDispatcher, tracker: Tracker, **params: str | None) -> dict[str, Any] | None:
    """The gateway's answer; None (and the person told) when the gateway cannot be reached."""
    try:
        return await client().answer(**params)
    except GatewayError:
        say(dispatcher, tracker, "utter_service_down")
        return None


async def respond(dispatcher: CollectingDispatcher, tracker: Tracker, answer: dict[str, Any]) -> list[EventType]:
    """Relay an answer, a clarification or a fact of the centre and remember it; an abstention is a miss."""
    decision = answer.get("decision")
    if decision == "complaint":
        return complaint_from_story(tracker)
    if decision == "abstain" or not answer.get("messages"):
        return await not_answered(dispatcher, tracker, "utter_guide_not_sure")
    relay(dispatcher, tracker, answer)
    events: list[EventType] = [SlotSet("last_asked", answer.get("asked")), SlotSet("miss_count", 0.0)]
    route = answer.get("route") or {}
    if decision != "clarify" and route.get("id") and route.get("kind") in ENTRY_KINDS:
        events += [SlotSet("last_guide_id", route["id"]), SlotSet("last_guide_kind", ENTRY_KINDS[route["kind"]])]
    return events


def complaint_from_story(tracker: Tracker) -> list[EventType]:
    """A grievance told in the message (the gateway's `complaint` decision): the complaint form, with the story
    already as its description so the form does not ask "what happened" again."""
    story = words(tracker)
    events: list[EventType] = [SlotSet("complaint_description", story)] if is_story(story) else []
    return [*events, SlotSet("miss_count", 0.0), FollowupAction("complaint_form")]


def words(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()[:MAX_QUERY_CHARS]


class ActionAnswerGuide(Action):
    """The person's words, with the last entry in context, to the gateway's answer decision."""

    def name(self) -> str:
        return "action_answer_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        text = words(tracker)
        if not text:
            return events + await not_answered(dispatcher, tracker, "utter_default")
        answer = await ask(
            dispatcher,
            tracker,
            q=text,
            last=entry_id(tracker.get_slot("last_guide_id")),
            last_asked=aspect(tracker.get_slot("last_asked")),
        )
        if answer is None:
            return events
        return events + await respond(dispatcher, tracker, answer)


class ActionAnswerFollowup(Action):
    """要带啥 / 在哪办 / 多久 / 网上办 / 收费: the aspect from the intent; the gateway sees a newly named errand."""

    def name(self) -> str:
        return "action_answer_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        asked = FOLLOWUP_ASPECTS.get(intent_of(tracker)[0] or "")
        last = entry_id(tracker.get_slot("last_guide_id"))
        text = words(tracker)
        if text:
            answer = await ask(dispatcher, tracker, q=text, last=last, asked=asked)
        elif last:
            answer = await ask(dispatcher, tracker, entry_id=last, asked=asked)
        else:
            answer = {"decision": "abstain"}
        if answer is None:
            return events
        if answer.get("decision") == "abstain" and not last:
            say(dispatcher, tracker, "utter_followup_no_topic")
            return events
        return events + await respond(dispatcher, tracker, answer)


class ActionShowGuide(Action):
    """A choice button was pressed: that entry, about what the person had asked."""

    def name(self) -> str:
        return "action_show_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        chosen = entry_id(next(tracker.get_latest_entity_values("guide_id"), None))
        if not chosen:
            say(dispatcher, tracker, "utter_followup_no_topic")
            return []
        answer = await ask(dispatcher, tracker, entry_id=chosen, asked=aspect(tracker.get_slot("last_asked")))
        return [] if answer is None else await respond(dispatcher, tracker, answer)


class ActionShowBundle(Action):
    """A bundle's whole checklist (the 一件事 offer button, or the bundle in context)."""

    def name(self) -> str:
        return "action_show_bundle"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        bundle_id = next(tracker.get_latest_entity_values("bundle_id"), None)
        if not bundle_id and tracker.get_slot("last_guide_kind") == "bundle":
            bundle_id = tracker.get_slot("last_guide_id")
        chosen = entry_id(bundle_id)
        if not chosen:
            say(dispatcher, tracker, "utter_followup_no_topic")
            return []
        answer = await ask(dispatcher, tracker, entry_id=chosen, asked="whole")
        return [] if answer is None else await respond(dispatcher, tracker, answer)
