"""转人工: create a handoff record with the transcript at the gateway, and say honestly what happens."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayError, NotFound
from actions.common import channel_of, client, say

MAX_TRANSCRIPT_TURNS = 50


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """The user and bot messages so far, so staff need not ask the person to repeat."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            role = "user" if event["event"] == "user" else "bot"
            lines.append({"role": role, "text": event["text"], "timestamp": event.get("timestamp")})
    return lines[-MAX_TRANSCRIPT_TURNS:]


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    payload = {
        "sender_id": tracker.sender_id,
        "channel": channel_of(tracker),
        "reason": reason,
        "transcript": transcript(tracker),
    }
    try:
        record = await client().handoff(payload)
    except NotFound:
        say(dispatcher, tracker, "utter_handoff_unavailable", kind="handoff")
        return []
    except GatewayError:
        say(dispatcher, tracker, "utter_handoff_failed", kind="handoff")
        return []
    record_id = record.get("id") if isinstance(record, dict) else None
    # one open handoff per sender: the gateway hands back the one already open (existing) rather than a second
    already = isinstance(record, dict) and bool(record.get("existing"))
    said = "utter_handoff_already" if already else "utter_handoff_done"
    say(dispatcher, tracker, said, kind="handoff", route_id=record_id)
    return []


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return await hand_over(dispatcher, tracker, reason="requested")
