"""Shared helpers: the meta payload on every bot message, slot reading; phones, masking and channels by civic/."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.gateway import GatewayClient
from civic.channels import citizen_channel
from civic.phone import find_phone as find_phone  # re-exported: the gateway files cases under the same rule
from civic.phone import mask_phone as mask_phone
from civic.phone import normalize_phone as normalize_phone
from civic.privacy import mask_personal as mask_personal  # what the citizen is read back, as the gateway shows it

ROUTE_KINDS = {"item": "guide", "bundle": "bundle", "window": "window"}


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


def channel_of(tracker: Tracker) -> str:
    """The channel the gateway put into message metadata, as the console names it too (civic/channels.py): a
    citizen's own chat channel, the widget when unknown; hotline and window cases are the console's."""
    metadata = tracker.latest_message.get("metadata") or {}
    return citizen_channel(metadata.get("channel") if isinstance(metadata, dict) else None)
