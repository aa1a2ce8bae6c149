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
from tests.support.guides import edit_guide, load_errors, mini_item, write_mini_guides


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
    for section, kind in catalogue.REQUIRED_SECTIONS:  # an alias entry (same_as) is an item
        missing = [r["id"] for r in req.get(section) or [] if cat.kind_of(r["id"]) != kind[:-1]]
        assert not missing, f"{section} missing: {missing}"


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


# ---------------------------------------------------------------- alias entries (same_as): one service, two ids

ID_CARD = {"name": "居民身份证", "form": "原件", "note": "在有效期内"}


def _alias(guides: Path, alias_id: str = "item-b", **data: object) -> Path:
    path = guides / "items" / f"{alias_id}.yml"
    entry = {"id": alias_id, "name": "事项item-a", "same_as": "item-a", **data}
    path.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    return path


def _mini(tmp_path: Path, members: list[str] | None = None) -> Path:
    """item-a in bundle yjs-x (whose members are `members`, by default item-a), plus what a test adds."""
    return write_mini_guides(
        tmp_path / "guides",
        [mini_item("item-a", [ID_CARD], ["yjs-x"])],
        [{"id": "yjs-x", "members": members or ["item-a"]}],
    )


def test_an_alias_entry_is_the_item_it_names_everywhere(tmp_path: Path) -> None:
    guides = _mini(tmp_path, members=["item-b"])  # the bundle names the alias id
    _alias(guides, aliases=["另一种叫法"])
    cat = catalogue.load(guides)
    assert cat.same_as == {"item-b": "item-a"} and cat.resolve("item-b") == "item-a"
    assert cat.resolve("item-a") == "item-a" and cat.resolve("no-such") == "no-such"
    assert cat.kind_of("item-b") == "item" and cat.get("item-b") is cat.items["item-a"] is cat.item("item-b")
    assert "item-b" not in cat.items and [e.id for _, e in cat.entries() if e.id.startswith("item-")] == ["item-a"]
    assert cat.items["item-a"].aliases[-1] == "另一种叫法"  # the alias entry's phrasings join the canonical's
    assert cat.bundles["yjs-x"].members == ["item-a"]
    assert {m.needed_for for m in cat.merged_materials("yjs-x")} == {("item-a",)}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"same_as": "no-such-item"}, "items/item-b.yml: same_as: unknown item 'no-such-item'"),
        ({"same_as": "yjs-x"}, "items/item-b.yml: same_as: 'yjs-x' is a bundle: an alias entry names an item"),
        ({"same_as": "w-one"}, "items/item-b.yml: same_as: 'w-one' is a window: an alias entry names an item"),
        ({"name": "别的名字"}, "items/item-b.yml: name: '别的名字' is not the name of 'item-a' (事项item-a)"),
        ({"summary": "一句话。"}, "items/item-b.yml: summary: an alias entry (same_as) has only id, name and aliases"),
        ({"faqs": []}, "items/item-b.yml: faqs: an alias entry (same_as) has only id, name and aliases"),
        ({"aliases": ["item-a叫法1"]}, "items/item-b.yml: aliases.0: 'item-a叫法1' is already an alias of 'item-a'"),
        ({"id": "item-c"}, "items/item-b.yml: id: id 'item-c' must match the file name 'item-b'"),
    ],
)
def test_a_bad_alias_entry_is_named_by_file_and_field(tmp_path: Path, data: dict[str, object], error: str) -> None:
    guides = _mini(tmp_path)
    _alias(guides, **data)
    assert any(e.startswith(error) for e in load_errors(guides)), load_errors(guides)


def test_an_alias_of_an_alias_is_refused(tmp_path: Path) -> None:
    guides = _mini(tmp_path)
    _alias(guides)
    _alias(guides, "item-c", same_as="item-b")
    errs = load_errors(guides)
    assert "items/item-c.yml: same_as: 'item-b' is itself an alias entry (of 'item-a'): name that item" in errs


def test_only_an_item_file_can_be_an_alias_entry(tmp_path: Path) -> None:
    guides = _mini(tmp_path)
    (guides / "bundles" / "yjs-y.yml").write_text("id: yjs-y\nname: 一件事\nsame_as: yjs-x\n", encoding="utf-8")
    assert "bundles/yjs-y.yml: same_as: only an item file can be an alias entry" in load_errors(guides)


def test_required_ids_that_are_alias_entries_exist_and_are_checked_on_their_item(tmp_path: Path) -> None:
    guides = _mini(tmp_path)
    _alias(guides)
    required = tmp_path / "required.yml"
    required.write_text(
        yaml.safe_dump(
            {
                "items": [{"id": "item-a", "window": "w-one"}],
                "items_added": [{"id": "item-b", "window": "w-one", "bundles": ["yjs-x"]}],
                "bundles_added": [{"id": "yjs-x", "members": ["item-b"]}],
            }
        ),
        encoding="utf-8",
    )
    assert catalogue.load(guides, required).same_as == {"item-b": "item-a"}
    (guides / "items" / "item-b.yml").unlink()
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.load(guides, required)
    assert "items/item-b.yml: required item 'item-b' is missing" in [str(e) for e in exc.value.errors]


def test_the_real_new_car_ids_are_one_service() -> None:
    cat = catalogue.load()
    assert cat.same_as.get("new-car-registration") == "vehicle-registration"
    assert cat.get("new-car-registration") is cat.items["vehicle-registration"]
    assert sum(e.name == "机动车注册登记（新车上牌）" for _, e in cat.entries()) == 1
    assert "vehicle-registration" in cat.bundles["yjs-new-car"].members


def test_cli_list_shows_an_alias_entry_with_its_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from index import cli

    guides = _mini(tmp_path)
    _alias(guides)
    assert cli.main(["--guides", str(guides), "list"]) == 0
    assert any(line.split()[1:4] == ["item-b", "->", "item-a"] for line in capsys.readouterr().out.splitlines())
    assert cli.main(["--guides", str(guides), "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"id": "item-b", "kind": "item", "name": "事项item-a", "same_as": "item-a"} in rows
    assert [r["id"] for r in rows].count("item-a") == 1
