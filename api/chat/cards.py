"""Guide cards: the channel-neutral summary of an item, bundle or window that a chat answer carries."""

from __future__ import annotations

from typing import Any

from api.chat.content import Messages
from index.catalogue import Catalogue
from index.schema import Item, Material, Window

BADGE_FIELDS = ("data_shared", "promise_ok", "deferrable")
ROUTE_OF_KIND = {"item": "guide", "bundle": "bundle", "window": "window"}


def guide_url(entry_id: str) -> str:
    return f"/guides/{entry_id}"


def badges(material: Material, messages: Messages) -> list[dict[str, str]]:
    labels = messages.section("badges")
    return [{"code": f, "label": labels[f]} for f in BADGE_FIELDS if getattr(material, f)]


def window_info(window: Window | None) -> dict[str, str] | None:
    if window is None:
        return None
    return {
        "id": window.id,
        "name": window.name,
        "floor": window.location.floor,
        "counters": window.location.counters,
        "hours": window.hours,
        "url": guide_url(window.id),
    }


def _item_card(cat: Catalogue, item: Item, messages: Messages) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": "item",
        "name": item.name,
        "summary": item.summary,
        "materials": [
            {
                "name": m.name,
                "form": m.form.value,
                "count": m.count,
                "note": m.note,
                "optional_when": m.optional_when,
                "badges": badges(m, messages),
            }
            for m in item.materials
        ],
        "window": window_info(cat.windows.get(item.window)),
        "time_limit": item.time_limit,
        "fee": item.fee,
        "online": [o.name for o in item.online],
        "bundles": [{"id": b, "name": cat.bundles[b].name, "url": guide_url(b)} for b in item.bundles],
        "url": guide_url(item.id),
    }


def build_card(cat: Catalogue, entry_id: str, messages: Messages) -> dict[str, Any] | None:
    """The card for any catalogue id; None when the id is unknown."""
    if entry_id in cat.items:
        return _item_card(cat, cat.items[entry_id], messages)
    if entry_id in cat.bundles:
        b = cat.bundles[entry_id]
        return {
            "id": b.id,
            "kind": "bundle",
            "name": b.name,
            "summary": b.summary,
            "materials": [
                {
                    "name": m.name,
                    "form": m.form.value,
                    "count": m.count,
                    "note": m.note,
                    "optional_when": None,
                    "badges": [],
                    "needed_for": [cat.items[i].name for i in m.needed_for if i in cat.items],
                }
                for m in cat.merged_materials(b.id)
            ],
            "members": [{"id": m, "name": cat.items[m].name, "url": guide_url(m)} for m in b.members],
            "steps": list(b.steps),
            "window": window_info(cat.windows.get(b.window)),
            "time_limit": b.time_limit,
            "fee": None,
            "online": [o.name for o in b.online],
            "url": guide_url(b.id),
        }
    if entry_id in cat.windows:
        w = cat.windows[entry_id]
        return {
            "id": w.id,
            "kind": "window",
            "name": w.name,
            "summary": w.summary,
            "materials": [],
            "window": window_info(w),
            "handles": [{"id": i.id, "name": i.name, "url": guide_url(i.id)} for i in cat.items_at_window(w.id)],
            "time_limit": None,
            "fee": None,
            "url": guide_url(w.id),
        }
    return None
