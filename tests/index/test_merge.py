"""A bundle's one-table list: each document once per person, optional_when and data_shared carried over,
in_bundles: false and leave_out left out, roles mapping a member's persons; and the real bundles' targets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from index import catalogue
from index.catalogue import Catalogue
from index.schema import MaterialForm
from tests.support.guides import load_errors, mini_item, write_mini_guides

ID = {"name": "居民身份证", "form": "原件", "note": "在有效期内"}


def _cat(tmp_path: Path, a: list[dict[str, object]], b: list[dict[str, object]], **bundle: object) -> Catalogue:
    guides = write_mini_guides(
        tmp_path / "guides",
        [mini_item("item-a", a, ["yjs-x"]), mini_item("item-b", b, ["yjs-x"])],
        [{"id": "yjs-x", "members": ["item-a", "item-b"], **bundle}],
    )
    return catalogue.load(guides)


def test_one_line_per_document_and_person(tmp_path: Path) -> None:
    cat = _cat(
        tmp_path,
        [ID, {**ID, "of": "代办人"}],
        [{**ID, "form": "复印件"}, {**ID, "of": "代办人", "count": 2}, {**ID, "of": "逝者"}],
    )
    lines = {(m.name, m.of): m for m in cat.merged_materials("yjs-x")}
    assert set(lines) == {("居民身份证", None), ("居民身份证", "代办人"), ("居民身份证", "逝者")}
    assert lines[("居民身份证", None)].needed_for == ("item-a", "item-b")
    assert lines[("居民身份证", None)].form == MaterialForm.original_and_copy
    assert lines[("居民身份证", "代办人")].count == 2
    assert lines[("居民身份证", "逝者")].needed_for == ("item-b",)


def test_an_alias_in_a_member_joins_its_document(tmp_path: Path) -> None:
    """documents.yml gives the one name an alias stands for (a check also names the alias to fix)."""
    cat = _cat(tmp_path, [ID], [ID])
    assert cat.document_name("户口本") == "居民户口簿"
    assert cat.document_name("不动产登记申请书") == "不动产登记申请书"


def test_required_if_any_member_requires_it_and_free_only_if_all_say_so(tmp_path: Path) -> None:
    cat = _cat(
        tmp_path,
        [{**ID, "optional_when": "孩子不满16周岁", "data_shared": True}, {**ID, "name": "结婚证", "data_shared": True}],
        [ID, {**ID, "name": "结婚证", "optional_when": "已登记结婚", "data_shared": True}],
    )
    lines = {m.name: m for m in cat.merged_materials("yjs-x")}
    assert lines["居民身份证"].optional_when is None and not lines["居民身份证"].data_shared
    assert lines["结婚证"].optional_when is None and lines["结婚证"].data_shared


def test_both_conditional_keeps_both_conditions(tmp_path: Path) -> None:
    cat = _cat(
        tmp_path,
        [{**ID, "name": "居住证", "optional_when": "外地户籍"}],
        [{**ID, "name": "居住证", "optional_when": "在本地参保"}],
    )
    (line,) = cat.merged_materials("yjs-x")
    assert line.optional_when == "外地户籍；在本地参保"


def test_in_bundles_false_and_leave_out_are_left_out(tmp_path: Path) -> None:
    form = {"name": "补发申请表", "form": "表格", "note": "补发时填", "example": "补发原因：丢失", "in_bundles": False}
    cat = _cat(
        tmp_path,
        [ID, form],
        [ID, {**ID, "name": "一号申请表", "form": "表格", "example": "姓名：本人"}],
        leave_out=[{"member": "item-b", "name": "一号申请表", "why": "联办申请表里一起填"}],
    )
    assert [m.name for m in cat.merged_materials("yjs-x")] == ["居民身份证"]


def test_roles_map_a_members_person_to_this_events(tmp_path: Path) -> None:
    cat = _cat(
        tmp_path,
        [{**ID, "of": "父母双方"}],
        [{**ID, "of": "监护人"}, {**ID, "name": "近期免冠证件照", "form": "电子版"}],
        roles={"item-b": {"监护人": "父母双方", "申请人": "新生儿"}},
    )
    assert [(m.name, m.of) for m in cat.merged_materials("yjs-x")] == [
        ("居民身份证", "父母双方"),
        ("近期免冠证件照", "新生儿"),
    ]


def test_bundle_extra_with_a_members_document_is_one_line(tmp_path: Path) -> None:
    extra = {"name": "居民身份证", "form": "复印件", "note": "复印一份", "where_to_get": "本人已有"}
    cat = _cat(tmp_path, [ID], [ID], extra_materials=[extra])
    (line,) = cat.merged_materials("yjs-x")
    assert line.needed_for == ("item-a", "item-b", "yjs-x")


def test_roles_and_leave_out_must_name_members_materials_and_persons(tmp_path: Path) -> None:
    guides = write_mini_guides(
        tmp_path / "guides",
        [mini_item("item-a", [ID], ["yjs-x"])],
        [
            {
                "id": "yjs-x",
                "members": ["item-a"],
                "roles": {"item-a": {"申请人": "表哥"}, "item-z": {"申请人": "配偶"}},
                "leave_out": [
                    {"member": "item-a", "name": "结婚证", "why": "不用"},
                    {"member": "item-a", "name": "身份证", "of": "配偶", "why": "不用"},
                    {"member": "item-z", "name": "居民身份证", "why": "不用"},
                ],
            }
        ],
    )
    errs = load_errors(guides)
    f = "bundles/yjs-x.yml"
    assert f"{f}: roles.item-a: '表哥' is not one of the persons in documents.yml" in errs
    assert f"{f}: roles.item-z: 'item-z' is not a member of this bundle" in errs
    assert f"{f}: leave_out.0: item 'item-a' has no material '结婚证'" in errs
    assert f"{f}: leave_out.1: item 'item-a' has no material '居民身份证' of 配偶" in errs
    assert f"{f}: leave_out.2.member: 'item-z' is not a member of this bundle" in errs


# --- the real guides -----------------------------------------------------------------------------------------


def test_real_bundles_meet_the_checklist_targets(cat: Catalogue) -> None:
    newborn = cat.merged_materials("yjs-newborn")
    after_death = cat.merged_materials("yjs-after-death")
    assert len(newborn) <= 10, [(m.name, m.of) for m in newborn]
    assert len(after_death) <= 12, [(m.name, m.of) for m in after_death]
    for bundle_id in cat.bundles:
        lines = Counter((m.name, m.of) for m in cat.merged_materials(bundle_id))
        twice = [k for k, n in lines.items() if n > 1]
        assert not twice, f"{bundle_id} names a document twice for one person: {twice}"


def test_real_newborn_list_keeps_conditions_and_leaves_out_reissue_forms(cat: Catalogue) -> None:
    lines = {(m.name, m.of): m for m in cat.merged_materials("yjs-newborn")}
    assert ("居民身份证", "父母双方") in lines and lines[("居民身份证", "父母双方")].optional_when is None
    assert ("出生医学证明", "新生儿") in lines
    assert lines[("结婚证", "父母双方")].optional_when and lines[("结婚证", "父母双方")].data_shared
    assert not any("补发" in name for name, _ in lines)
