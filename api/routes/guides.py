"""Guide entries as JSON: an item, a bundle with its merged checklist, or a window with what it handles."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException

from api.deps import CatalogueDep
from index.schema import Item

router = APIRouter(prefix="/api/guides", tags=["guides"])


@router.get("/{entry_id}")
def get_guide(entry_id: str, cat: CatalogueDep) -> dict[str, Any]:
    """An alias entry's id (`same_as`) answers with the item it names, `id` and all: the bot's client follows
    no redirects, and the id it gets back is the one every other answer uses."""
    entry_id = cat.resolve(entry_id)
    kind = cat.kind_of(entry_id)
    entry = cat.get(entry_id)
    if kind is None or entry is None:
        raise HTTPException(status_code=404, detail="没有找到这个办事指南")
    data: dict[str, Any] = {"kind": kind, **entry.model_dump(mode="json")}
    if kind == "bundle":
        data["merged_materials"] = [asdict(m) for m in cat.merged_materials(entry_id)]
        data["member_names"] = {m: cat.items[m].name for m in cat.bundles[entry_id].members}
    if kind == "window":
        data["handles"] = [{"id": i.id, "name": i.name} for i in cat.items_at_window(entry_id)]
        data["bundles"] = [{"id": b.id, "name": b.name} for b in cat.bundles_at_window(entry_id)]
    if kind == "item":
        w = cat.windows.get(entry.window)  # type: ignore[union-attr]
        data["window_info"] = w.model_dump(mode="json") if w else None
    if kind in ("item", "bundle"):  # the site's defaults where the entry sets none
        own_remedy, own_phone = (entry.remedy, entry.phone) if isinstance(entry, Item) else (None, None)
        data["remedy_text"] = own_remedy or cat.site.remedy
        data["phones"] = {"consult": own_phone or cat.site.phones.consult, "supervise": cat.site.phones.supervise}
    return data
