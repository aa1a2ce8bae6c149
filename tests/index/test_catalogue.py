"""The guide files load, cross-check, and every kind of bad file is reported by file and field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from index import catalogue
from tests.conftest import ROOT, SHARED
from tests.support.guides import edit_guide, load_errors


def test_whole_catalogue_loads_and_cross_checks() -> None:
    required = catalogue.REQUIRED_FILE if catalogue.REQUIRED_FILE.is_file() else None
    cat = catalogue.load(catalogue.GUIDES_DIR, required)
    assert len(cat.items) >= 107 and len(cat.bundles) >= 32 and len(cat.windows) >= 20
    for b in cat.bundles.values():
        for m in b.members:
            assert b.id in cat.items[m].bundles
    for w in cat.windows:
        handled = cat.items_at_window(w) + cat.bundles_at_window(w)  # type: ignore[operator]
        assert handled or w in ("w-consult",), f"window {w} handles nothing"


@pytest.mark.skipif(not (SHARED / "catalogue" / "required.yml").is_file(), reason="../shared absent")
def test_every_required_id_is_present_with_its_kind() -> None:
    req = yaml.safe_load((SHARED / "catalogue" / "required.yml").read_text(encoding="utf-8"))
    cat = catalogue.load()
    for kind, have in (("items", cat.items), ("bundles", cat.bundles), ("windows", cat.windows)):
        missing = [r["id"] for r in req[kind] if r["id"] not in have]
        assert not missing, f"{kind} missing: {missing}"


def test_bundle_material_list_is_merged_without_duplicates() -> None:
    cat = catalogue.load()
    merged = cat.merged_materials("yjs-newborn")
    lines = [(m.name, m.of) for m in merged]
    assert len(lines) == len(set(lines))
    members = set(cat.bundles["yjs-newborn"].members)
    assert any(len(m.needed_for) > 1 for m in merged), "the ID card is shared by several members"
    assert all(set(m.needed_for) <= members | {"yjs-newborn"} for m in merged)


def test_invalid_yaml_names_file_and_line(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    p.write_text(p.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    errs = load_errors(guides)
    assert any(e.startswith("items/passport.yml: line") and "invalid YAML" in e for e in errs)


def test_missing_field(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    del data["fee"]
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "items/passport.yml: fee: Field required" in load_errors(guides)


def test_wrong_type(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["materials"][0]["count"] = "两份"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any(e.startswith("items/passport.yml: materials.0.count:") for e in load_errors(guides))


def test_unknown_key_is_a_typo(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", feee="免费")
    assert any(e.startswith("items/passport.yml: feee:") for e in load_errors(guides))


def test_empty_text(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", summary="   ")
    assert any(e.startswith("items/passport.yml: summary:") for e in load_errors(guides))


def test_duplicate_id(guides: Path) -> None:
    shutil.copy(guides / "windows" / "w-police.yml", guides / "windows" / "w-police2.yml")
    errs = load_errors(guides)
    assert any("windows/w-police2.yml: id: duplicate id 'w-police'" in e for e in errs)


def test_dangling_window_and_member(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", window="w-nowhere")
    b = guides / "bundles" / "yjs-veteran.yml"
    data = yaml.safe_load(b.read_text(encoding="utf-8"))
    data["members"].append("no-such-item")
    b.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errs = load_errors(guides)
    assert "items/passport.yml: window: unknown window 'w-nowhere'" in errs
    assert any(e.startswith("bundles/yjs-veteran.yml: members.") and "no-such-item" in e for e in errs)


def test_one_sided_bundle_membership(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", bundles=["yjs-veteran"])
    errs = load_errors(guides)
    assert any("items/passport.yml: bundles.0: bundle 'yjs-veteran' does not list this item" in e for e in errs)


def test_too_few_aliases_and_faqs(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["aliases"] = data["aliases"][:2]
    data["faqs"] = data["faqs"][:1]
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errs = load_errors(guides)
    assert any(e.startswith("items/passport.yml: aliases:") for e in errs)
    assert any(e.startswith("items/passport.yml: faqs:") for e in errs)


def test_invented_article_numbers_are_refused(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", legal_basis=["中华人民共和国护照法第六条"])
    assert any(e.startswith("items/passport.yml: legal_basis:") for e in load_errors(guides))


def test_required_id_missing(guides: Path) -> None:
    if not catalogue.REQUIRED_FILE.is_file():
        pytest.skip("../shared absent")
    (guides / "items" / "dog-registration.yml").unlink()
    errs = _errors_with_required(guides)
    assert any("required item 'dog-registration' is missing" in e for e in errs)


def _errors_with_required(guides: Path) -> list[str]:
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.load(guides, catalogue.REQUIRED_FILE)
    return [str(e) for e in exc.value.errors]


def test_cli_reports_without_traceback(guides: Path) -> None:
    (guides / "items" / "passport.yml").write_text("id: [", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "index", "--guides", str(guides), "check", "--no-required"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert r.returncode == 1
    assert "items/passport.yml" in r.stderr and "Traceback" not in r.stderr


def test_cli_list_json_lists_every_entry() -> None:
    import json

    r = subprocess.run([sys.executable, "-m", "index", "list", "--json"], capture_output=True, text=True,
                       cwd=ROOT, check=True)  # fmt: skip
    rows = json.loads(r.stdout)
    assert {"id", "kind", "name"} <= set(rows[0])
    kinds = {r["kind"] for r in rows}
    assert kinds == {"item", "bundle", "window"}
