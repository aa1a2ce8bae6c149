"""Filing a complaint with the case API, and retrying one the API did not take."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayError
from actions.common import client, mask_phone, say


async def file_case(dispatcher: CollectingDispatcher, tracker: Tracker, payload: dict[str, Any]) -> bool:
    """POST the case; utter the case number only after a success, never before."""
    try:
        case = await client().create_case(payload)
    except GatewayError:
        return False
    case_no = case.get("case_no") if isinstance(case, dict) else None
    if not case_no:
        return False
    say(
        dispatcher,
        tracker,
        "utter_complaint_filed",
        kind="complaint",
        route_id=case_no,
        case_no=case_no,
        deadline=case.get("deadline", ""),
        phone=mask_phone(payload.get("phone", "")),
    )
    return True


async def retry_pending_complaint(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """On a later turn, try again a complaint that failed; the same idempotency key prevents duplicates."""
    pending = tracker.get_slot("complaint_pending")
    if not isinstance(pending, dict):
        return []
    if await file_case(dispatcher, tracker, pending):
        return [SlotSet("complaint_pending", None)]
    return []
