"""有诉即办 complaint form: slot prompts, validation, cancellation and submission to the case API."""

from __future__ import annotations

import abc
import functools
import hashlib
import re
import time
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.gateway import GatewayError
from actions.common import button, channel_of, client, find_phone, intent_of, mask_personal, mask_phone, say
from actions.handoff import hand_over
from actions.pending import file_case

MIN_DESCRIPTION_CHARS = 5
MAX_DESCRIPTION_CHARS = 2000
STORY_MIN_CHARS = 8  # "我要投诉" names no grievance; "为了一个章来回跑了四回" tells one
NO_ITEM = "none"
STORY_ITEM_HITS = 3  # the last guide is suggested for a story when search has it this high
OTHER = "other"  # a category typed twice in words no category has: 其他, with the words kept in the description
CATEGORY_CACHE_S = 300.0
COMPLAINT_SLOTS = (
    "complaint_category",
    "complaint_category_name",
    "complaint_category_tries",
    "complaint_description",
    "complaint_item",
    "complaint_phone",
    "complaint_confirm",
)
WORDS_FILE = Path(__file__).with_name("form_words.yml")


@functools.cache
def form_words() -> dict[str, Any]:
    """bare_complaint, change_words, field_words, … (bot/actions/form_words.yml), read once."""
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8")) or {}
    nlu_min = data.get("nlu_category_min_confidence")
    return {
        "bare": frozenset(str(w) for w in data.get("bare_complaint") or ()),
        "change": tuple(str(w) for w in data.get("change_words") or ()),
        "fields": {str(k): tuple(str(w) for w in v or ()) for k, v in (data.get("field_words") or {}).items()},
        "other_kept": str(data.get("other_kept") or "{description} {typed}"),
        "nlu_min": None if nlu_min is None else float(nlu_min),
    }


_PUNCT = re.compile(r"[\W_]+")


def is_story(text: str) -> bool:
    """A message that tells what happened, not only that the person wants to complain."""
    t = (text or "").strip()
    return len(t) >= STORY_MIN_CHARS and not t.startswith("/") and _PUNCT.sub("", t) not in form_words()["bare"]


def field_to_change(text: str) -> str | None:
    """The one read-back field a message at the confirmation corrects ("电话错了", "类别不对"), if any."""
    t, words = text or "", form_words()
    if not any(w in t for w in words["change"]):
        return None
    return next((slot for slot, names in words["fields"].items() if any(w in t for w in names)), None)


def diet_read(tracker: Tracker) -> dict[str, float]:
    """The complaint_category values the NLU model (DIETClassifier) extracted from the latest message, and how sure
    it was of each; a value is a category code when EntitySynonymMapper knew the span, else the span itself."""
    read: dict[str, float] = {}
    for e in (tracker.latest_message or {}).get("entities") or ():
        if not isinstance(e, dict) or e.get("entity") != "complaint_category" or e.get("extractor") != "DIETClassifier":
            continue
        sure, value = e.get("confidence_entity"), str(e.get("value"))
        if isinstance(sure, int | float):
            read[value] = max(float(sure), read.get(value, 0.0))
    return read


async def nlu_category(story: str, tracker: Tracker) -> dict[str, str] | None:
    """The category the NLU model read in the story's own message: a complaint_category entity DIET extracted at
    least nlu_category_min_confidence sure, whose value is a category the case API has. None when it read none, or
    several different ones (the form asks), or the story is not the latest message."""
    least = form_words()["nlu_min"]
    text = str((tracker.latest_message or {}).get("text") or "").strip()
    if least is None or text[:MAX_DESCRIPTION_CHARS] != story.strip():
        return None
    codes = {value for value, sure in diet_read(tracker).items() if sure >= least}
    if len(codes) != 1:
        return None
    code = codes.pop()
    return next((c for c in await categories() if c["code"] == code), None)


async def story_slots(story: str, tracker: Tracker) -> dict[str, Any]:
    """What the story already says, for the slots still empty: the category its cues tell (else the one the NLU
    model read in it), the errand search is sure of, and a phone number written inside it. Nothing when the
    gateway is down (the form asks instead)."""
    out: dict[str, Any] = {}
    phone = find_phone(story)
    if phone and not tracker.get_slot("complaint_phone"):
        out["complaint_phone"] = phone
    try:
        told = await client().categorize(story)
    except GatewayError:
        return out
    category = told.get("category") if isinstance(told.get("category"), dict) else None
    if not (category and category.get("code")):  # the gateway's calibrated rule first; it wins when both speak
        category = await nlu_category(story, tracker)
    if category and category.get("code") and not tracker.get_slot("complaint_category"):
        out["complaint_category"] = category["code"]
        out["complaint_category_name"] = category.get("name") or category["code"]
    item = told.get("item") if isinstance(told.get("item"), dict) else None
    if item and item.get("id") and not tracker.get_slot("complaint_item"):
        out["complaint_item"] = item["id"]
    return out


_categories: dict[str, Any] = {"at": 0.0, "items": []}


async def categories() -> list[dict[str, str]]:
    """Categories from the case API, cached for a few minutes; an empty list when it is down."""
    if _categories["items"] and time.monotonic() - _categories["at"] < CATEGORY_CACHE_S:
        return _categories["items"]
    try:
        items = [c for c in await client().categories() if isinstance(c, dict) and c.get("code")]
    except GatewayError:
        return []
    _categories.update(at=time.monotonic(), items=items)
    return items


def match_category(value: str, items: list[dict[str, str]]) -> dict[str, str] | None:
    """A code from a button, or a typed name that contains (or is contained in) a category name."""
    text = (value or "").strip()
    for c in items:
        if text == c["code"]:
            return c
    for c in items:
        name = str(c.get("name", ""))
        if name and text and (name in text or text in name):
            return c
    return None


def category_answer(typed: str, tracker: Tracker, items: list[dict[str, str]]) -> str:
    """What to read as a typed category. The from_entity mapping puts the span DIET read in the slot; when DIET was
    unsure of it, or it is no category code or name, the whole answer says more than the span."""
    said = str(tracker.latest_message.get("text") or "").strip()
    read, least = diet_read(tracker), form_words()["nlu_min"]
    if typed not in read or not said or typed == said:
        return typed
    unsure = least is None or read[typed] < least
    return said if unsure or match_category(typed, items) is None else typed


def cancelled(tracker: Tracker) -> bool:
    """算了 / 不投诉了 (intent stop) ends the form at any step; 转人工 (request_human) too: someone who asks for a
    person mid-form must get one, not a slot prompt. A plain 不 never does: "服务不好" or "不知道" is an answer."""
    name, _ = intent_of(tracker)
    return name in ("stop", "request_human")


def idempotency_key(sender_id: str, payload: dict[str, Any]) -> str:
    """Same person, same complaint -> same key, so a retried message cannot open a second case."""
    raw = "|".join([sender_id, payload["category"], payload["description"], payload["phone"]])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if cancelled(tracker):
            # clear everything; complaint_confirm False tells action_submit_complaint to say it was dropped
            return [SlotSet(s, None) for s in COMPLAINT_SLOTS if s != "complaint_confirm"] + [
                SlotSet("complaint_confirm", False),
                SlotSet("requested_slot", None),
            ]
        return await super().run(dispatcher, tracker, domain)

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The message that opened the form, when it tells the story: the form does not ask "what happened"."""
        if tracker.get_slot("requested_slot") or tracker.get_slot("complaint_description"):
            return {}  # asked for it: the from_text mapping fills it; or it is already there
        text = (tracker.latest_message.get("text") or "").strip()
        return {"complaint_description": text[:MAX_DESCRIPTION_CHARS]} if is_story(text) else {}

    async def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        typed = str(value or "").strip()
        items = await categories()
        if not items:  # the case API is down: keep what the person typed, submission retries later
            text = typed[:50]
            return (
                {"complaint_category": text, "complaint_category_name": text} if text else {"complaint_category": None}
            )
        typed = category_answer(typed, tracker, items)
        found = match_category(typed, items)
        if found is None and typed and not typed.startswith("/"):
            try:  # typed words ("服务不好", "多要材料") and a story's cues, by the gateway's one rule
                told = (await client().categorize(typed, as_answer=True)).get("category")
                if not told:
                    told = (await client().categorize(typed)).get("category")
            except GatewayError:
                told = None
            if isinstance(told, dict) and told.get("code"):
                found = {"code": str(told["code"]), "name": str(told.get("name") or told["code"])}
        if found:
            return {"complaint_category": found["code"], "complaint_category_name": found.get("name", found["code"])}
        tries = int(tracker.get_slot("complaint_category_tries") or 0)
        if tries >= 1 and typed:  # asked twice: 其他, and what was typed stays with the story
            other = next((c for c in items if c["code"] == OTHER), None)
            description = tracker.get_slot("complaint_description") or ""
            kept = form_words()["other_kept"].format(description=description, typed=typed[:50])
            kept = kept if description else typed
            return {
                "complaint_category": OTHER,
                "complaint_category_name": (other or {}).get("name", OTHER),
                "complaint_description": kept[:MAX_DESCRIPTION_CHARS],
            }
        say(dispatcher, tracker, "utter_invalid_complaint_category", kind="complaint")
        return {"complaint_category": None, "complaint_category_tries": float(tries + 1)}

    async def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < MIN_DESCRIPTION_CHARS or text.startswith("/"):
            say(dispatcher, tracker, "utter_invalid_complaint_description", kind="complaint")
            return {"complaint_description": None}
        story = text[:MAX_DESCRIPTION_CHARS]
        return {"complaint_description": story, **await story_slots(story, tracker)}

    async def validate_complaint_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        name, _ = intent_of(tracker)
        phone = find_phone(text)
        if phone:  # answered the next question first ("13912345678"): the phone, and no errand named
            return {"complaint_item": NO_ITEM, "complaint_phone": phone}
        if name == "deny" or not text or text == NO_ITEM:
            return {"complaint_item": NO_ITEM}
        if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text):  # an id from a suggestion button
            return {"complaint_item": text}
        try:  # typed words: take the guide only when the search is sure
            result = await client().search(text, k=1)
        except GatewayError:
            return {"complaint_item": NO_ITEM}
        hits = result.get("hits") or []
        return {"complaint_item": hits[0]["id"] if result.get("confident") and hits else NO_ITEM}

    def validate_complaint_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = find_phone(str(value or ""))  # the slot is the whole message: "我电话是138 1234 5678，白天打"
        if not phone:
            say(dispatcher, tracker, "utter_invalid_complaint_phone", kind="complaint")
            return {"complaint_phone": None}
        return {"complaint_phone": phone}

    def validate_complaint_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(tracker.latest_message.get("text") or "")
        phone = find_phone(text)
        if phone and not text.startswith("/"):  # "电话是0371-61234567": the new number, then the read-back again
            return {"complaint_phone": phone, "complaint_confirm": None}
        change = None if text.startswith("/") else field_to_change(text)
        if change:  # "电话错了" reads as deny: ask that one field again, keep the rest
            cleared: dict[str, Any] = {change: None, "complaint_confirm": None}
            if change == "complaint_category":
                cleared |= {"complaint_category_name": None, "complaint_category_tries": 0.0}
            return cleared
        if isinstance(value, bool):
            return {"complaint_confirm": value}
        say(dispatcher, tracker, "utter_invalid_complaint_confirm", kind="complaint")
        return {"complaint_confirm": None}


class AskComplaintCategory(Action):
    """Category buttons come from the case API, so staff can change categories without a bot release."""

    def name(self) -> str:
        return "action_ask_complaint_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        items = await categories()
        if not items:
            say(dispatcher, tracker, "utter_ask_complaint_category_free", kind="complaint")
            return []
        buttons = [button(c.get("name", c["code"]), "inform", complaint_category=c["code"]) for c in items]
        told = tracker.get_slot("complaint_description")  # the story is in: only its kind is missing
        response = "utter_ask_complaint_category_after_story" if told else "utter_ask_complaint_category"
        say(dispatcher, tracker, response, kind="complaint", buttons=buttons)
        return []


async def story_is_about(story: str, guide_id: str) -> bool:
    """Whether search puts the guide among the story's first hits: a story about 物业 after a question about 出生证明
    is not about 出生证明. True when there is no story or the gateway cannot say (the suggestion stays, as before)."""
    if not story:
        return True
    try:
        hits = (await client().search(story, k=STORY_ITEM_HITS)).get("hits") or []
    except GatewayError:
        return True
    return any(isinstance(h, dict) and h.get("id") == guide_id for h in hits)


class AskComplaintItem(Action):
    """Suggest the guide the person asked about last, when the story is about it; 跳过 is in the response itself."""

    def name(self) -> str:
        return "action_ask_complaint_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        buttons = []
        last = tracker.get_slot("last_guide_id")
        if last and not await story_is_about(str(tracker.get_slot("complaint_description") or ""), last):
            last = None
        if last:
            try:
                guide = await client().guide(last)
                buttons.append(button(guide.get("name", last), "inform", complaint_item=last))
            except GatewayError:
                pass
        say(dispatcher, tracker, "utter_ask_complaint_item", kind="complaint", buttons=buttons)
        return []


class AskComplaintConfirm(Action):
    """Read everything back before anything is filed: the phone masked, and any phone or ID number in the story."""

    def name(self) -> str:
        return "action_ask_complaint_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        item = tracker.get_slot("complaint_item")
        item_name = "-"
        if item and item != NO_ITEM:
            try:
                item_name = (await client().guide(item)).get("name", item)
            except GatewayError:
                item_name = item
        say(
            dispatcher,
            tracker,
            "utter_ask_complaint_confirm",
            kind="complaint",
            category=tracker.get_slot("complaint_category_name") or tracker.get_slot("complaint_category") or "",
            description=mask_personal(tracker.get_slot("complaint_description") or ""),
            item=item_name,
            phone=mask_phone(tracker.get_slot("complaint_phone") or ""),
        )
        return []


class AskSimple(Action, metaclass=abc.ABCMeta):
    """Ask for a slot with its utter_ask_ response, carrying the meta payload (abstract: not registered)."""

    kind = "complaint"

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot to ask for; subclasses set it as a class attribute."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        say(dispatcher, tracker, f"utter_ask_{self.slot}", kind=self.kind)
        return []


class AskComplaintDescription(AskSimple):
    slot = "complaint_description"


class AskComplaintPhone(AskSimple):
    slot = "complaint_phone"


def build_payload(tracker: Tracker) -> dict[str, Any]:
    item = tracker.get_slot("complaint_item")
    payload: dict[str, Any] = {
        "category": tracker.get_slot("complaint_category"),
        "description": tracker.get_slot("complaint_description"),
        "phone": tracker.get_slot("complaint_phone"),
        "channel": channel_of(tracker),
    }
    if item and item != NO_ITEM:
        payload["window_id" if item.startswith("w-") else "item_id"] = item
    payload["idempotency_key"] = idempotency_key(tracker.sender_id, payload)
    payload["sender"] = tracker.sender_id  # links the case to this chat in the console's caller view
    return payload


class ActionSubmitComplaint(Action):
    """After the form: file when confirmed, drop when declined, keep and retry when the API fails."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        clear = [SlotSet(s, None) for s in COMPLAINT_SLOTS]
        pending = tracker.get_slot("complaint_pending")
        if intent_of(tracker)[0] == "retry_complaint":
            if not isinstance(pending, dict):
                say(dispatcher, tracker, "utter_complaint_nothing_pending", kind="complaint")
                return []
            if await file_case(dispatcher, tracker, pending):
                return [SlotSet("complaint_pending", None)]
            say(dispatcher, tracker, "utter_complaint_failed", kind="complaint")
            return []
        if tracker.get_slot("complaint_confirm") is not True:
            if intent_of(tracker)[0] == "request_human":  # left the form for a person: hand over, no case
                return [*clear, *await hand_over(dispatcher, tracker, reason="requested")]
            say(dispatcher, tracker, "utter_complaint_cancelled", kind="complaint")
            return clear
        payload = build_payload(tracker)
        if await file_case(dispatcher, tracker, payload):
            return [*clear, SlotSet("complaint_pending", None)]
        say(dispatcher, tracker, "utter_complaint_failed", kind="complaint")
        return [*clear, SlotSet("complaint_pending", payload)]
