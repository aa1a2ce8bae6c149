"""Guide cards and the 话术 an agent reads out, built from the guide files and the wording in script.yml."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
import yaml

from api.answer.service import Answerer
from index.catalogue import Catalogue, MergedMaterial
from index.decision import load_calibration as load_decision
from index.schema import Bundle, Item, Material, Online, Window
from index.search import Searcher

SCRIPT_FILE = Path(__file__).with_name("script.yml")


class _Blank(dict[str, str]):
    """A missing placeholder renders empty instead of raising, so an editor's typo never breaks a call."""

    def __missing__(self, key: str) -> str:
        return ""


@lru_cache
def wording(path: Path = SCRIPT_FILE) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def _fill(template: str, **values: str) -> str:
    return " ".join(template.format_map(_Blank(values)).split())


def _material_line(name: str, form: str, count: int) -> str:
    w = wording()
    return _fill(w["material_count"] if count > 1 else w["material"], name=name, form=form, count=str(count))


def _whose(name: str, of: str | None) -> str:
    return _fill(wording()["whose"], name=name, of=of) if of else name


def _online(channels: list[Online]) -> str:
    if not channels:
        return ""
    names = "、".join(f"在{o.name}" for o in channels)
    return _fill(wording()["online"], channels=names)


@dataclass
class Card:
    """What the console shows for one search hit."""

    id: str
    kind: str
    name: str
    summary: str
    script: str
    materials: list[dict[str, Any]] = field(default_factory=list)
    window: dict[str, str] | None = None
    bundles: list[dict[str, str]] = field(default_factory=list)
    members: list[dict[str, str]] = field(default_factory=list)
    time_limit: str = ""
    path: str = ""
    rejections: list[str] = field(default_factory=list)
    visits: int | None = None
    remedy: str = ""
    phones: dict[str, str] = field(default_factory=dict)


def _window_info(cat: Catalogue, window_id: str) -> dict[str, str] | None:
    w = cat.windows.get(window_id)
    if w is None:
        return None
    return {
        "id": w.id,
        "name": w.name,
        "floor": w.location.floor,
        "counters": w.location.counters,
        "hours": w.hours,
    }


def _place(info: dict[str, str] | None) -> str:
    if info is None:
        return "政务服务中心综合窗口"
    return f"{info['floor']}{info['name']}（{info['counters']}）"


def _material(m: Material | MergedMaterial) -> dict[str, Any]:
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
    w = wording()
    return w["visits_none"] if visits == 0 else _fill(w["visits"], count=str(visits))


def _phones(cat: Catalogue, own: str | None = None) -> dict[str, str]:
    return {"consult": own or cat.site.phones.consult, "supervise": cat.site.phones.supervise}


def card_for(cat: Catalogue, entry_id: str) -> Card | None:
    """The guide card with its 话术; None for an unknown id."""
    entry = cat.get(entry_id)
    w = wording()
    sep = w.get("separator", "；")
    if isinstance(entry, Item):
        info = _window_info(cat, entry.window)
        mats = [_material(m) for m in entry.materials]
        script = _fill(
            w["item"],
            name=entry.name,
            summary=entry.summary,
            materials=sep.join(_material_line(_whose(m.name, m.of), m.form.value, m.count) for m in entry.materials),
            place=_place(info),
            hours=info["hours"] if info else "",
            time_limit=entry.time_limit,
            visits=_visits(entry.visits),
            online=_online(entry.online),
        )
        bundles = [{"id": b, "name": cat.bundles[b].name} for b in entry.bundles if b in cat.bundles]
        return Card(
            entry.id,
            "item",
            entry.name,
            entry.summary,
            script,
            mats,
            info,
            bundles,
            [],
            entry.time_limit,
            f"/guides/{entry.id}",
            list(entry.rejections),
            entry.visits,
            entry.remedy or cat.site.remedy,
            _phones(cat, entry.phone),
        )
    if isinstance(entry, Bundle):
        info = _window_info(cat, entry.window)
        merged = cat.merged_materials(entry.id)
        mats = [_material(m) for m in merged]
        members = [{"id": m, "name": cat.items[m].name} for m in entry.members if m in cat.items]
        script = _fill(
            w["bundle"],
            name=entry.name,
            summary=entry.summary,
            members="、".join(m["name"] for m in members),
            materials=sep.join(_material_line(_whose(m.name, m.of), m.form.value, m.count) for m in merged),
            place=_place(info),
            hours=info["hours"] if info else "",
            time_limit=entry.time_limit,
            online=_online(entry.online),
        )
        return Card(
            entry.id,
            "bundle",
            entry.name,
            entry.summary,
            script,
            mats,
            info,
            [],
            members,
            entry.time_limit,
            f"/guides/{entry.id}",
            remedy=cat.site.remedy,
            phones=_phones(cat),
        )
    if isinstance(entry, Window):
        info = _window_info(cat, entry.id)
        script = _fill(w["window"], name=entry.name, summary=entry.summary, place=_place(info), hours=entry.hours)
        return Card(entry.id, "window", entry.name, entry.summary, script, [], info, [], [], "", f"/guides/{entry.id}")
    return None


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
