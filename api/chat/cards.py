"""Guide cards in a chat answer: the channel-neutral JSON of an item, bundle or window (api/guides/view.py)."""

from __future__ import annotations

from typing import Any

from api.chat.content import Messages
from api.guides.view import EntryRef, GuideCard, MaterialLine, WindowInfo, guide_view
from index.catalogue import Catalogue

ROUTE_OF_KIND = {"item": "guide", "bundle": "bundle", "window": "window"}


def _link(ref: EntryRef) -> dict[str, str]:
    return {"id": ref.id, "name": ref.name, "url": ref.url}


def window_json(info: WindowInfo | None) -> dict[str, str] | None:
    if info is None:
        return None
    return {
        "id": info.id,
        "name": info.name,
        "floor": info.floor,
        "counters": info.counters,
        "hours": info.hours,
        "url": info.url,
    }


def _own_material(m: MaterialLine, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "name": m.name,
        "form": m.form.value,
        "count": m.count,
        "note": m.note,
        "optional_when": m.optional_when,
        "badges": [{"code": code, "label": labels[code]} for code in m.badges],
    }


def _merged_material(m: MaterialLine) -> dict[str, Any]:
    """A bundle's line names the member items that ask for it, with no condition and no badges."""
    return {
        "name": m.name,
        "form": m.form.value,
        "count": m.count,
        "note": m.note,
        "optional_when": None,
        "badges": [],
        "needed_for": [r.name for r in m.needed_for if r.kind == "item"],
    }


def card_json(card: GuideCard, messages: Messages) -> dict[str, Any]:
    """The `card` of a `guide_card` chat message; badge labels are the chat wording's `badges` section."""
    base: dict[str, Any] = {"id": card.id, "kind": card.kind, "name": card.name, "summary": card.summary}
    if card.kind == "item":
        labels = messages.section("badges")
        return {
            **base,
            "materials": [_own_material(m, labels) for m in card.materials],
            "window": window_json(card.window),
            "time_limit": card.time_limit,
            "fee": card.fee,
            "online": [o.name for o in card.online],
            "bundles": [_link(b) for b in card.bundles],
            "url": card.url,
        }
    if card.kind == "bundle":
        return {
            **base,
            "materials": [_merged_material(m) for m in card.materials],
            "members": [_link(m) for m in card.members],
            "steps": list(card.steps),
            "window": window_json(card.window),
            "time_limit": card.time_limit,
            "fee": None,
            "online": [o.name for o in card.online],
            "url": card.url,
        }
    return {
        **base,
        "materials": [],
        "window": window_json(card.window),
        "handles": [_link(i) for i in card.handles],
        "time_limit": None,
        "fee": None,
        "url": card.url,
    }


def build_card(cat: Catalogue, entry_id: str, messages: Messages) -> dict[str, Any] | None:
    """The card for a catalogue id; an alias entry's id (`same_as`, e.g. from an old menu button) gives the card of
    the item it names. None when the id is unknown."""
    card = guide_view(cat).card(entry_id)
    return None if card is None else card_json(card, messages)
