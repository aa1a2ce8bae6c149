"""Catalogue test helpers: one field of a guide file edited, and the errors a load of a guides folder reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from index import catalogue


def edit_guide(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def load_errors(guides: Path) -> list[str]:
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.load(guides)
    return [str(e) for e in exc.value.errors]


MINI_WINDOW = "w-one"


def _faqs() -> list[dict[str, str]]:
    return [{"q": f"问题{i}？", "a": f"回答{i}。"} for i in range(3)]


def mini_item(
    item_id: str, materials: list[dict[str, object]], bundles: list[str], **more: object
) -> dict[str, object]:
    """A valid item file's data with the given materials (each needs name, form and note)."""
    return {
        "id": item_id,
        "name": f"事项{item_id}",
        "aliases": [f"{item_id}叫法{i}" for i in range(5)],
        "summary": "一句话说清。",
        "audience": "本区居民",
        "conditions": ["本人来办"],
        "materials": [{"where_to_get": "本人已有", **m} for m in materials],
        "steps": ["到窗口交材料"],
        "time_limit": "当场办好",
        "fee": "免费",
        "dept": "某局",
        "window": MINI_WINDOW,
        "bundles": bundles,
        "faqs": _faqs(),
        "legal_basis": ["某某条例"],
        "rejections": ["不是本区户籍的"],
        "visits": 1,
        "last_reviewed": "2026-11-01",
        **more,
    }


def write_mini_guides(
    root: Path, items: list[dict[str, object]], bundles: list[dict[str, object]] = (), copy_vocabulary: bool = True
) -> Path:
    """A small guides folder: the real site, documents and glossary, one window, the given items and bundles.

    A bundle dict needs id, members and may set extra_materials, roles, leave_out."""
    from tests.conftest import ROOT

    for kind in ("items", "bundles", "windows"):
        (root / kind).mkdir(parents=True, exist_ok=True)
    names = ["site.yml", "glossary.yml"] + (["documents.yml"] if copy_vocabulary else [])
    for name in names:
        (root / name).write_text((ROOT / "guides" / name).read_text(encoding="utf-8"), encoding="utf-8")
    window = {
        "id": MINI_WINDOW,
        "name": "一号窗口",
        "aliases": [f"窗口叫法{i}" for i in range(5)],
        "summary": "办事的窗口。",
        "location": {"floor": "一楼", "counters": "1号"},
        "hours": "工作日9:00—17:00",
        "faqs": _faqs(),
        "last_reviewed": "2026-11-01",
    }
    files: list[tuple[str, dict[str, object]]] = [("windows", window)]
    files += [("items", i) for i in items]
    for b in bundles:
        files.append(
            (
                "bundles",
                {
                    "name": f"一件事{b['id']}",
                    "event": "一件事",
                    "summary": "几件事一起办。",
                    "aliases": [f"{b['id']}叫法{i}" for i in range(5)],
                    "steps": ["到专窗交一次材料"],
                    "time_limit": "5个工作日",
                    "window": MINI_WINDOW,
                    "faqs": _faqs(),
                    "last_reviewed": "2026-11-01",
                    **b,
                },
            )
        )
    for kind, data in files:
        (root / kind / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root
