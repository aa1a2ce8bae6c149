"""Case status (查进度) and 好差评 rating against the case API."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.gateway import GatewayError, NotFound
from actions.common import client, intent_of, say
from actions.forms import AskSimple

CASE_NO_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{4,39}")
LOW_SCORE = 2
MAX_COMMENT_CHARS = 500
CASE_SLOTS = ("case_no", "phone_last4")
RATING_SLOTS = ("case_no", "phone_last4", "rating_score", "rating_comment")


def parse_case_no(text: str) -> str | None:
    """The first token that looks like a case number (letters/digits, with at least one digit)."""
    for token in CASE_NO_RE.findall(text or ""):
        if any(ch.isdigit() for ch in token) and not token.startswith("/"):
            return token.upper()
    return None


def parse_last4(text: str) -> str | None:
    digits = re.sub(r"\D", "", text or "")
    return digits[-4:] if len(digits) >= 4 else None


def parse_score(text: str) -> int | None:
    found = re.search(r"[1-5]", text or "")
    return int(found.group(0)) if found else None


class CaseSlotsMixin:
    """Validation of the case number and phone tail, shared by the status and rating forms."""

    def validate_case_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        case_no = parse_case_no(str(value or ""))
        if not case_no:
            say(dispatcher, tracker, "utter_invalid_case_no", kind="complaint")
        return {"case_no": case_no}

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        last4 = parse_last4(str(value or ""))
        if not last4:
            say(dispatcher, tracker, "utter_invalid_phone_last4", kind="complaint")
        return {"phone_last4": last4}


def stop_form(slots: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(s, None) for s in slots] + [SlotSet("requested_slot", None)]


class ValidateCaseStatusForm(CaseSlotsMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_case_status_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if intent_of(tracker)[0] == "stop":
            return stop_form(CASE_SLOTS)
        return await super().run(dispatcher, tracker, domain)


class ValidateRatingForm(CaseSlotsMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_rating_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if intent_of(tracker)[0] == "stop":
            return stop_form(RATING_SLOTS)
        return await super().run(dispatcher, tracker, domain)

    def validate_rating_score(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        score = parse_score(str(value or ""))
        if score is None:
            say(dispatcher, tracker, "utter_invalid_rating_score", kind="complaint")
            return {"rating_score": None}
        return {"rating_score": str(score)}

    def validate_rating_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if intent_of(tracker)[0] == "deny" or text.startswith("/"):
            return {"rating_comment": ""}
        return {"rating_comment": text[:MAX_COMMENT_CHARS]}


class AskCaseNo(AskSimple):
    slot = "case_no"


class AskPhoneLast4(AskSimple):
    slot = "phone_last4"


class AskRatingScore(AskSimple):
    slot = "rating_score"


class AskRatingComment(AskSimple):
    slot = "rating_comment"


class ActionCheckCase(Action):
    """Status and latest step in plain words; a wrong number/phone pair reads exactly like an unknown case."""

    def name(self) -> str:
        return "action_check_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        case_no, last4 = tracker.get_slot("case_no"), tracker.get_slot("phone_last4")
        clear = [SlotSet(s, None) for s in CASE_SLOTS]
        if not case_no or not last4:
            say(dispatcher, tracker, "utter_form_cancelled", kind="complaint")
            return clear
        try:
            case = await client().get_case(case_no, last4)
        except NotFound:
            say(dispatcher, tracker, "utter_case_not_found", kind="complaint", route_id=case_no)
            return clear
        except GatewayError:
            say(dispatcher, tracker, "utter_case_api_down", kind="complaint", route_id=case_no)
            return clear
        timeline = case.get("timeline") or []
        latest = timeline[-1] if timeline and isinstance(timeline[-1], dict) else {}
        say(
            dispatcher,
            tracker,
            "utter_case_status",
            kind="complaint",
            route_id=case_no,
            case_no=case.get("case_no", case_no),
            status=case.get("status_name") or case.get("status", ""),  # 办理中, not the code in_progress
            latest=latest.get("note") or latest.get("status_name") or case.get("status_name") or "",
            deadline=case.get("deadline", ""),
        )
        return clear


class ActionSubmitRating(Action):
    """1-5 and a comment; a score of 2 or less reopens the case for a supervisor (the API does that)."""

    def name(self) -> str:
        return "action_submit_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        clear = [SlotSet(s, None) for s in RATING_SLOTS]
        case_no, last4 = tracker.get_slot("case_no"), tracker.get_slot("phone_last4")
        score = parse_score(tracker.get_slot("rating_score") or "")
        if not case_no or not last4 or score is None:
            say(dispatcher, tracker, "utter_form_cancelled", kind="complaint")
            return clear
        comment = tracker.get_slot("rating_comment") or ""
        try:
            await client().rate_case(case_no, last4, score, comment)
        except NotFound:
            say(dispatcher, tracker, "utter_case_not_found", kind="complaint", route_id=case_no)
            return clear
        except GatewayError:
            say(dispatcher, tracker, "utter_rating_failed", kind="complaint", route_id=case_no)
            return clear
        response = "utter_rating_low_followup" if score <= LOW_SCORE else "utter_rating_thanks"
        say(dispatcher, tracker, response, kind="complaint", route_id=case_no)
        return clear
