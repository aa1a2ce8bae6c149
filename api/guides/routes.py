"""Guide entries as JSON: an item, a bundle with its merged checklist, or a window with what it handles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from api.core import wording
from api.deps import CatalogueDep
from api.guides.view import GuideCard, GuideView, MaterialLine, guide_view

router = APIRouter(prefix="/api/guides", tags=["guides"])


def _merged_line(m: MaterialLine) -> dict[str, Any]:
    """A line of a bundle's one-table list, every field of index.catalogue.MergedMaterial."""
    return {
        "name": m.name,
        "form": m.form.value,
        "count": m.count,
        "note": m.note,
        "needed_for": [r.id for r in m.needed_for],
        "of": m.of,
        "optional_when": m.optional_when,
        "data_shared": m.data_shared,
        "where_to_get": m.where_to_get,
        "example": m.example,
        "sample": m.sample,
        "common_rejections": list(m.common_rejections),
    }


def guide_json(view: GuideView, card: GuideCard) -> dict[str, Any]:
    """The guide file's entry as it is, plus what the card adds for its kind; the site's remedy and phones where
    the entry sets none."""
    data: dict[str, Any] = {"kind": card.kind, **card.source.model_dump(mode="json")}
    if card.kind == "bundle":
        data["merged_materials"] = [_merged_line(m) for m in card.materials]
        data["member_names"] = {m.id: m.name for m in card.members}
    if card.kind == "window":
        data["handles"] = [{"id": i.id, "name": i.name} for i in card.handles]
        data["bundles"] = [{"id": b.id, "name": b.name} for b in card.bundles_here]
    if card.kind == "item":
        window = view.card(card.window.id) if card.window else None
        data["window_info"] = window.source.model_dump(mode="json") if window else None
    if card.remedy is not None and card.phones is not None:
        data["remedy_text"] = card.remedy
        data["phones"] = card.phones.model_dump(mode="json")
    return data


@router.get("/{entry_id}")
def get_guide(entry_id: str, cat: CatalogueDep) -> dict[str, Any]:
    """An alias entry's id (`same_as`) answers with the item it names, `id` and all: the bot's client follows
    no redirects, and the id it gets back is the one every other answer uses."""
    view = guide_view(cat)
    card = view.card(entry_id)
    if card is None:
        raise HTTPException(status_code=404, detail=wording.text("gateway", "errors.no_guide"))
    return guide_json(view, card)
