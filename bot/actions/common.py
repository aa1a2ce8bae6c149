"""Shared helpers: the meta payload on every bot message, slot reading, phone masking."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayClient

ROUTE_KINDS = {"item": "guide", "bundle": "bundle", "window": "window"}
# channels the gateway's case API takes from the action server; hotline and window cases are the console's
CITIZEN_CHANNELS = frozenset({"wechat", "miniprogram", "telegram", "widget"})
MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
LANDLINE_RE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")


def client() -> GatewayClient:
    """A fresh client per call so tests and deployments can point GATEWAY_URL anywhere."""
    return GatewayClient()


def intent_of(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def meta(tracker: Tracker, kind: str = "none", route_id: str | None = None) -> dict[str, Any]:
    """The custom payload the gateway copies into /api/chat `meta`."""
    name, confidence = intent_of(tracker)
    return {"intent": name, "confidence": round(confidence, 4), "route": {"kind": kind, "id": route_id}}


def say(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str,
    *,
    kind: str = "none",
    route_id: str | None = None,
    buttons: list[dict[str, str]] | None = None,
    **variables: Any,
) -> None:
    """Utter a domain response by name, always with the meta payload."""
    dispatcher.utter_message(
        response=response, buttons=buttons or [], json_message=meta(tracker, kind, route_id), **variables
    )


def button(title: str, intent: str, **entities: str) -> dict[str, str]:
    """A button whose payload triggers an intent with entities, bypassing NLU."""
    if not entities:
        return {"title": title, "payload": f"/{intent}"}
    pairs = ",".join(f'"{k}":"{v}"' for k, v in entities.items())
    return {"title": title, "payload": f"/{intent}{{{pairs}}}"}


def normalize_phone(text: str) -> str | None:
    """A mainland mobile or landline number, normalised; None when invalid."""
    compact = re.sub(r"[\s()\uff08\uff09]", "", text or "").replace("\uff0d", "-").replace("\u2014", "-")
    digits_only = compact.replace("-", "")
    mobile = MOBILE_RE.match(digits_only)
    if mobile:
        return mobile.group(1)
    landline = LANDLINE_RE.match(compact) or LANDLINE_RE.match(digits_only)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    return None


def mask_phone(phone: str) -> str:
    """138****5678 for mobiles, 0371-****5678 for landlines: enough to recognise, not to misuse."""
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-****{number[-4:]}"
    return f"{phone[:3]}****{phone[-4:]}"


def channel_of(tracker: Tracker) -> str:
    """The channel the gateway put into message metadata; the widget when unknown."""
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return channel if channel in CITIZEN_CHANNELS else "widget"
