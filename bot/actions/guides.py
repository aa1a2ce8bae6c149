"""Answers from the guides: search, clarify, show an item/bundle/window, follow-ups on the last guide."""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayError
from actions.common import ROUTE_KINDS, button, client, intent_of, say
from actions.handoff import hand_over
from actions.pending import retry_pending_complaint

MAX_CHOICES = 3
MAX_QUERY_CHARS = 500  # the gateway refuses queries over 2,000 characters and searches only the first 500
MISSES_BEFORE_HANDOFF = 2
FOLLOWUP_INTENTS = {"ask_materials", "ask_location", "ask_time", "ask_online", "ask_fee"}


def clarify_margin() -> float:
    """Top hits closer than this are ambiguous; scores are the gateway's fused scores."""
    return float(os.environ.get("BOT_CLARIFY_MARGIN", "0.04"))


def format_materials(materials: list[dict[str, Any]]) -> str:
    """One line per material: name, form and count, then the 审查要点 a clerk checks."""
    lines = []
    for i, m in enumerate(materials, 1):
        line = f"{i}. {m.get('name', '')} ({m.get('form', '')} x{m.get('count', 1)})"
        if m.get("optional_when"):
            line += f" [{m['optional_when']}]"
        if m.get("note"):
            line += f": {m['note']}"
        lines.append(line)
    return "\n".join(lines)


def format_online(online: list[dict[str, Any]]) -> str:
    return "; ".join(f"{o.get('name', '')}" + (f" ({o['how']})" if o.get("how") else "") for o in online)


def format_steps(steps: list[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


def window_fields(window: dict[str, Any] | None) -> dict[str, str]:
    """Name, floor, counters and hours of a window, blank when unknown."""
    window = window or {}
    location = window.get("location") or {}
    return {
        "window": str(window.get("name", "")),
        "floor": str(location.get("floor", "")),
        "counters": str(location.get("counters", "")),
        "hours": str(window.get("hours", "")),
    }


def pick_choices(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits close to the top one; a bundle holding the top item does not make it ambiguous."""
    if len(hits) < 2:
        return []
    top = hits[0]
    related = set(top.get("bundles") or [])
    close = [h for h in hits[:MAX_CHOICES] if top["score"] - h["score"] <= clarify_margin()]
    rivals = [h for h in close[1:] if h["id"] not in related and top["id"] not in (h.get("bundles") or [])]
    return close if rivals else []


async def window_of(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The window record of an item (inline) or a bundle (fetched)."""
    if entry.get("window_info"):
        return entry["window_info"]
    if entry.get("window"):
        try:
            return await client().guide(entry["window"])
        except GatewayError:
            return None
    return None


async def show_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: dict[str, Any]) -> list[EventType]:
    """Utter an item, bundle or window answer and remember it for follow-ups."""
    kind = entry.get("kind", "item")
    route = ROUTE_KINDS.get(kind, "guide")
    gid = entry.get("id")
    common = {"kind": route, "route_id": gid, "name": entry.get("name", ""), "summary": entry.get("summary", "")}
    if kind == "window":
        say(dispatcher, tracker, "utter_guide_window", **common, **window_fields(entry))
    elif kind == "bundle":
        members = entry.get("member_names") or {}
        say(
            dispatcher,
            tracker,
            "utter_guide_bundle",
            **common,
            members=", ".join(members.values()),
            materials=format_materials(entry.get("merged_materials") or []),
            steps=format_steps(entry.get("steps") or []),
            time_limit=entry.get("time_limit", ""),
            **window_fields(await window_of(entry)),
        )
    else:
        say(
            dispatcher,
            tracker,
            "utter_guide_item",
            **common,
            materials=format_materials(entry.get("materials") or []),
            time_limit=entry.get("time_limit", ""),
            fee=entry.get("fee", ""),
            **window_fields(entry.get("window_info")),
        )
    if kind != "window":
        online = entry.get("online") or []
        if online:
            say(dispatcher, tracker, "utter_guide_online", kind=route, route_id=gid, online=format_online(online))
        else:
            say(dispatcher, tracker, "utter_guide_offline_only", kind=route, route_id=gid)
    if kind == "item" and entry.get("bundles"):
        await offer_bundles(dispatcher, tracker, entry)
    return [SlotSet("last_guide_id", gid), SlotSet("last_guide_kind", kind), SlotSet("miss_count", 0.0)]


async def offer_bundles(dispatcher: CollectingDispatcher, tracker: Tracker, entry: dict[str, Any]) -> None:
    """Tell the person the item is part of a 一件事 and offer the whole checklist."""
    buttons, names = [], []
    for bundle_id in entry.get("bundles", [])[:MAX_CHOICES]:
        try:
            bundle = await client().guide(bundle_id)
        except GatewayError:
            continue
        names.append(bundle.get("name", bundle_id))
        buttons.append(button(bundle.get("name", bundle_id), "show_bundle", bundle_id=bundle_id))
    if buttons:
        say(
            dispatcher,
            tracker,
            "utter_guide_bundle_offer",
            kind="guide",
            route_id=entry.get("id"),
            buttons=buttons,
            bundles=", ".join(names),
        )


async def not_answered(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[EventType]:
    """Say plainly that there is no answer; the second miss in a row hands over to a person."""
    misses = int(tracker.get_slot("miss_count") or 0) + 1
    say(dispatcher, tracker, response)
    if misses >= MISSES_BEFORE_HANDOFF:
        say(dispatcher, tracker, "utter_handoff_after_misses", kind="handoff")
        return [*await hand_over(dispatcher, tracker, reason="repeated_misses"), SlotSet("miss_count", 0.0)]
    return [SlotSet("miss_count", float(misses))]


class ActionAnswerGuide(Action):
    """Search the person's words and answer, clarify, or admit there is no good answer."""

    def name(self) -> str:
        return "action_answer_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            return events + await not_answered(dispatcher, tracker, "utter_default")
        try:
            result = await client().search(text[:MAX_QUERY_CHARS], k=5)
        except GatewayError:
            say(dispatcher, tracker, "utter_service_down")
            return events
        hits = result.get("hits") or []
        if not result.get("confident") or not hits:
            return events + await not_answered(dispatcher, tracker, "utter_guide_not_sure")
        choices = pick_choices(hits)
        if choices:
            buttons = [button(h["name"], "choose_guide", guide_id=h["id"]) for h in choices]
            say(dispatcher, tracker, "utter_guide_clarify", buttons=buttons)
            return [*events, SlotSet("miss_count", 0.0)]
        return events + await show_by_id(dispatcher, tracker, hits[0]["id"])


async def show_by_id(dispatcher: CollectingDispatcher, tracker: Tracker, entry_id: str | None) -> list[EventType]:
    if not entry_id:
        say(dispatcher, tracker, "utter_followup_no_topic")
        return []
    try:
        entry = await client().guide(entry_id)
    except GatewayError:
        say(dispatcher, tracker, "utter_service_down")
        return []
    return await show_entry(dispatcher, tracker, entry)


class ActionShowGuide(Action):
    """A clarification button was pressed: show that guide."""

    def name(self) -> str:
        return "action_show_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return await show_by_id(dispatcher, tracker, next(tracker.get_latest_entity_values("guide_id"), None))


class ActionShowBundle(Action):
    """Show a bundle's merged checklist and the order of steps."""

    def name(self) -> str:
        return "action_show_bundle"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        bundle_id = next(tracker.get_latest_entity_values("bundle_id"), None)
        if not bundle_id and tracker.get_slot("last_guide_kind") == "bundle":
            bundle_id = tracker.get_slot("last_guide_id")
        return await show_by_id(dispatcher, tracker, bundle_id)


class ActionAnswerFollowup(Action):
    """要带啥 / 在哪办 / 多久 / 网上办 / 收费 about the last guide; a new topic in the message replaces it."""

    def name(self) -> str:
        return "action_answer_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events = await retry_pending_complaint(dispatcher, tracker)
        aspect = intent_of(tracker)[0] or ""
        gid = tracker.get_slot("last_guide_id")
        if next(tracker.get_latest_entity_values("service"), None):
            new_id = await self._search_topic(tracker.latest_message.get("text") or "")
            if new_id and new_id != gid:
                gid = new_id
                events += [SlotSet("last_guide_id", gid)]
        if not gid:
            say(dispatcher, tracker, "utter_followup_no_topic")
            return events
        try:
            entry = await client().guide(gid)
        except GatewayError:
            say(dispatcher, tracker, "utter_service_down")
            return events
        events += [SlotSet("last_guide_kind", entry.get("kind")), SlotSet("miss_count", 0.0)]
        await self._answer(dispatcher, tracker, aspect, entry)
        return events

    @staticmethod
    async def _search_topic(text: str) -> str | None:
        try:
            result = await client().search(text[:MAX_QUERY_CHARS], k=3)
        except GatewayError:
            return None
        hits = result.get("hits") or []
        return hits[0]["id"] if result.get("confident") and hits else None

    async def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str, entry: dict[str, Any]
    ) -> None:
        kind = entry.get("kind", "item")
        route = {"kind": ROUTE_KINDS.get(kind, "guide"), "route_id": entry.get("id"), "name": entry.get("name", "")}
        if kind == "window":
            if aspect == "ask_location":
                say(dispatcher, tracker, "utter_followup_location", **route, **window_fields(entry))
            else:
                say(dispatcher, tracker, "utter_followup_window_only", **route)
            return
        if aspect == "ask_materials":
            materials = entry.get("merged_materials") if kind == "bundle" else entry.get("materials")
            say(dispatcher, tracker, "utter_followup_materials", **route, materials=format_materials(materials or []))
        elif aspect == "ask_location":
            say(dispatcher, tracker, "utter_followup_location", **route, **window_fields(await window_of(entry)))
        elif aspect == "ask_time":
            say(dispatcher, tracker, "utter_followup_time", **route, time_limit=entry.get("time_limit", ""))
        elif aspect == "ask_online":
            online = entry.get("online") or []
            if online:
                say(dispatcher, tracker, "utter_followup_online", **route, online=format_online(online))
            else:
                say(dispatcher, tracker, "utter_followup_offline_only", **route)
        else:
            say(dispatcher, tracker, "utter_followup_fee", **route, fee=await self._fee(entry))

    @staticmethod
    async def _fee(entry: dict[str, Any]) -> str:
        """An item's fee; for a bundle, each member's fee."""
        if entry.get("kind") != "bundle":
            return str(entry.get("fee", ""))
        parts = []
        for member_id, member_name in (entry.get("member_names") or {}).items():
            try:
                member = await client().guide(member_id)
            except GatewayError:
                continue
            parts.append(f"{member_name}: {member.get('fee', '')}")
        return "; ".join(parts)
