"""Guide cards and the 话术 an agent reads out, built from the guide files and the wording in api/wording/script.yml."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import segno

from api.answer.service import Answerer
from api.core import wording
from api.guides.view import GuideCard, MaterialLine, WindowInfo, guide_card
from index.catalogue import Catalogue
from index.decision import load_calibration as load_decision
from index.schema import Online
from index.search import Searcher


class _Blank(dict[str, str]):
    """A missing placeholder renders empty instead of raising, so an editor's typo never breaks a call."""

    def __missing__(self, key: str) -> str:
        return ""


def _words() -> dict[str, str]:
    """The 话术 templates (api/wording/script.yml), read once."""
    return wording.table("script")


def _fill(template: str, **values: str) -> str:
    return " ".join(template.format_map(_Blank(values)).split())


def _material_line(name: str, form: str, count: int) -> str:
    w = _words()
    return _fill(w["material_count"] if count > 1 else w["material"], name=name, form=form, count=str(count))


def _whose(name: str, of: str | None) -> str:
    return _fill(_words()["whose"], name=name, of=of) if of else name


def _online(channels: Sequence[Online]) -> str:
    if not channels:
        return ""
    names = "、".join(wording.say("script", "online_channel", name=o.name) for o in channels)
    return _fill(_words()["online"], channels=names)


@dataclass(frozen=True, kw_only=True)
class Card:
    """What the console shows for one search hit: the entry's guide card (api/guides/view.py) and its 话术, with
    the card's parts as the console's JSON has them (api/console/routes/search.py)."""

    guide: GuideCard
    script: str

    @property
    def id(self) -> str:
        return self.guide.id

    @property
    def kind(self) -> str:
        return self.guide.kind

    @property
    def name(self) -> str:
        return self.guide.name

    @property
    def summary(self) -> str:
        return self.guide.summary

    @property
    def path(self) -> str:
        return self.guide.url

    @property
    def materials(self) -> list[dict[str, Any]]:
        return [_material(m) for m in self.guide.materials]

    @property
    def window(self) -> dict[str, str] | None:
        w = self.guide.window
        if w is None:
            return None
        return {"id": w.id, "name": w.name, "floor": w.floor, "counters": w.counters, "hours": w.hours}

    @property
    def bundles(self) -> list[dict[str, str]]:
        return [{"id": b.id, "name": b.name} for b in self.guide.bundles]

    @property
    def members(self) -> list[dict[str, str]]:
        return [{"id": m.id, "name": m.name} for m in self.guide.members]

    @property
    def time_limit(self) -> str:
        return self.guide.time_limit or ""

    @property
    def rejections(self) -> list[str]:
        return list(self.guide.rejections)

    @property
    def visits(self) -> int | None:
        return self.guide.visits

    @property
    def remedy(self) -> str:
        return self.guide.remedy or ""

    @property
    def phones(self) -> dict[str, str]:
        p = self.guide.phones
        return {} if p is None else {"consult": p.consult, "supervise": p.supervise}


def _place(info: WindowInfo | None) -> str:
    if info is None:
        return wording.text("script", "place_fallback")
    return wording.say("script", "place", floor=info.floor, name=info.name, counters=info.counters)


def _material(m: MaterialLine) -> dict[str, Any]:
    return {
        "name": m.name,
        "of": m.of,
        "form": m.form.value,
        "count": m.count,
        "note": m.note,
        "optional_when": m.optional_when,
        "where_to_get": m.where_to_get,
        "example": m.example,
        "common_rejections": list(m.common_rejections),
    }


def _visits(visits: int | None) -> str:
    if visits is None:
        return ""
    w = _words()
    return w["visits_none"] if visits == 0 else _fill(w["visits"], count=str(visits))


def _script(card: GuideCard) -> str:
    """The 话术 of a card, in script.yml's wording for its kind."""
    w = _words()
    info = card.window
    place, hours = _place(info), info.hours if info else ""
    if card.kind == "window":
        return _fill(w["window"], name=card.name, summary=card.summary, place=place, hours=hours)
    sep = w.get("separator", "；")
    materials = sep.join(_material_line(_whose(m.name, m.of), m.form.value, m.count) for m in card.materials)
    common = {
        "name": card.name,
        "summary": card.summary,
        "materials": materials,
        "place": place,
        "hours": hours,
        "time_limit": card.time_limit or "",
        "online": _online(card.online),
    }
    if card.kind == "bundle":
        return _fill(w["bundle"], members="、".join(m.name for m in card.members), **common)
    return _fill(w["item"], visits=_visits(card.visits), **common)


def card_for(cat: Catalogue, entry_id: str) -> Card | None:
    """The guide card with its 话术; None for an unknown id (an alias entry's id gives the item it names)."""
    guide = guide_card(cat, entry_id)
    return None if guide is None else Card(guide=guide, script=_script(guide))


def abstain_threshold(searcher: Searcher, answerer: Answerer | None = None) -> float:
    """Below this score a hit is no answer to read out: the Searcher's calibrated abstention threshold, or the chat's
    (index/decision.py, the Answerer's calibration) when that is stricter, so an agent never reads out what the
    chat would decline to answer."""
    cal = searcher.calibration.get("hybrid")
    decision = getattr(answerer, "calibration", None) or load_decision()
    return max(cal.threshold if cal else 0.0, float(decision.threshold))


@lru_cache(maxsize=512)
def qr_svg(url: str) -> str:
    """A QR code of the guide link as standalone SVG (segno, pure Python), for the caller's phone camera."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2, dark="#111", light="#fff", xmldecl=False)
    return buf.getvalue().decode()
