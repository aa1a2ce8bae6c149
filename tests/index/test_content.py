"""The 零咨询 content checks name file and field: send-to-ask phrases, empty local values, document names,
persons, form examples, sample files, and (REQUIRE_FILLED) where_to_get / rejections / visits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from index import catalogue, content
from index.documents import Vocabulary
from tests.support.guides import edit_guide, load_errors

PASSPORT = "items/passport.yml"

ID_CARD = {"name": "居民身份证", "form": "原件", "note": "在有效期内", "where_to_get": "本人已有"}
FORM = {
    "name": "护照申请表",
    "form": "表格",
    "note": "签名要本人签",
    "where_to_get": "窗口当场领",
    "example": "申请类别：首次申请；签名：本人签字",
}


def _materials(guides: Path, *materials: dict[str, object]) -> None:
    edit_guide(guides / PASSPORT, materials=list(materials), rejections=["不是中国公民的"], visits=2)


def _errors_of(guides: Path, file: str = PASSPORT) -> list[str]:
    return [e for e in load_errors(guides) if e.startswith(f"{file}:")]


@pytest.mark.parametrize(
    "phrase",
    [
        "以当地规定为准",
        "问清楚",
        "先问窗口",
        "按规定收",
        "按窗口公示",
        "以窗口公示为准",
        "具体以通知为准",
        "请咨询",
        "详询",
    ],
)
def test_send_to_ask_phrase_fails_with_file_and_field(guides: Path, phrase: str) -> None:
    edit_guide(guides / PASSPORT, fee=f"护照120元，{phrase}")
    assert any(e.startswith(f"{PASSPORT}: fee: '{phrase}' sends the citizen to ask") for e in load_errors(guides))


def test_send_to_ask_is_checked_in_bundles_windows_and_site(guides: Path) -> None:
    edit_guide(guides / "bundles" / "yjs-newborn.yml", summary="材料以当地规定为准。")
    edit_guide(guides / "windows" / "w-police.yml", hours="详询窗口")
    edit_guide(guides / "site.yml", parking="收费请咨询保安")
    errs = load_errors(guides)
    assert any(e.startswith("bundles/yjs-newborn.yml: summary: '以当地规定为准'") for e in errs)
    assert any(e.startswith("windows/w-police.yml: hours: '详询'") for e in errs)
    assert any(e.startswith("site.yml: parking: '请咨询'") for e in errs)


def test_concrete_text_passes_the_phrase_check() -> None:
    assert not content.SEND_TO_ASK.search("护照120元，当场交费，可以刷卡或扫码")


def test_empty_local_value_fails(guides: Path) -> None:
    p = guides / PASSPORT
    p.write_text(p.read_text(encoding="utf-8") + "local:\n  加急费: ''\n  照片费:\n  工本费: 120元\n", encoding="utf-8")
    errs = _errors_of(guides)
    assert f"{PASSPORT}: local.加急费: no value: a locality must fill in this amount or date" in errs
    assert f"{PASSPORT}: local.照片费: no value: a locality must fill in this amount or date" in errs
    assert not any("local.工本费" in e for e in errs)
    assert not any(e.startswith(f"{PASSPORT}: local.加急费: empty text") for e in errs), "named once, not twice"


def test_material_name_that_is_an_alias_fails(guides: Path) -> None:
    _materials(guides, {**ID_CARD, "name": "父母双方身份证"})
    assert f"{PASSPORT}: materials.0.name: use the document name 居民身份证 (whose it is goes in of:)" in _errors_of(
        guides
    )


def test_of_must_be_a_person_in_the_vocabulary(guides: Path) -> None:
    _materials(guides, ID_CARD, {**ID_CARD, "of": "爷爷"}, {**ID_CARD, "of": "监护人"})
    errs = _errors_of(guides)
    assert f"{PASSPORT}: materials.1.of: '爷爷' is not one of the persons in documents.yml" in errs
    assert not any("materials.2" in e for e in errs)


def test_same_document_of_same_person_twice_fails(guides: Path) -> None:
    _materials(guides, ID_CARD, {**ID_CARD, "of": "监护人"}, {**ID_CARD, "of": "申请人"})
    errs = _errors_of(guides)
    assert f"{PASSPORT}: materials.2: '居民身份证' is already materials.0" in errs
    assert not any(e.startswith(f"{PASSPORT}: materials.1") for e in errs)


def test_form_without_example_fails(guides: Path) -> None:
    _materials(guides, ID_CARD, {k: v for k, v in FORM.items() if k != "example"}, {**FORM, "name": "加急申请表"})
    errs = _errors_of(guides)
    assert f"{PASSPORT}: materials.1.example: a 表格 needs a 填写示例: how the key boxes are filled" in errs
    assert not any("materials.2" in e for e in errs)


def test_bundle_extra_form_without_example_fails(guides: Path) -> None:
    p = guides / "bundles" / "yjs-newborn.yml"
    extra = {"name": "联办申请表", "form": "表格", "note": "一张表"}
    edit_guide(p, extra_materials=[extra])
    assert any(e.startswith("bundles/yjs-newborn.yml: extra_materials.0.example: a 表格") for e in load_errors(guides))


def test_sample_must_be_a_file_under_guides(guides: Path) -> None:
    (guides / "samples").mkdir(exist_ok=True)
    (guides / "samples" / "passport-form.md").write_text("申请类别：首次申请\n", encoding="utf-8")
    _materials(
        guides,
        {**FORM, "sample": "samples/passport-form.md"},
        {**FORM, "name": "另一张表", "sample": "samples/missing.png"},
        {**FORM, "name": "第三张表", "sample": "../README.md"},
    )
    errs = _errors_of(guides)
    assert f"{PASSPORT}: materials.1.sample: no file 'samples/missing.png' under guides/" in errs
    assert f"{PASSPORT}: materials.2.sample: no file '../README.md' under guides/" in errs
    assert not any("materials.0" in e for e in errs)


def test_filled_fields_are_required_by_the_switch(guides: Path) -> None:
    p = guides / PASSPORT
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["materials"] = [{k: v for k, v in ID_CARD.items() if k != "where_to_get"}]
    data.pop("rejections", None)
    data.pop("visits", None)
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert content.REQUIRE_FILLED, "the switch is on: every item must say where, when refused and how many trips"
    errs = _errors_of(guides)
    assert f"{PASSPORT}: materials.0.where_to_get: say where the citizen gets it" in errs
    assert f"{PASSPORT}: rejections: list at least one case that cannot be done (不予受理)" in errs
    assert f"{PASSPORT}: visits: say how many trips to the hall it takes (0 = all online)" in errs
    try:
        catalogue.load(guides, require_filled=False)
    except catalogue.CatalogueError as exc:
        assert not any(e.file == PASSPORT and e.field in ("rejections", "visits") for e in exc.errors)


def test_visits_out_of_range_is_a_schema_error(guides: Path) -> None:
    _materials(guides, ID_CARD)
    edit_guide(guides / PASSPORT, visits=9)
    assert any(e.startswith(f"{PASSPORT}: visits:") for e in load_errors(guides))


def test_vocabulary_refuses_a_word_with_two_meanings() -> None:
    with pytest.raises(ValueError, match="listed under 居民身份证 and under 居民户口簿"):
        Vocabulary.model_validate(
            {
                "persons": ["申请人"],
                "documents": [{"name": "居民身份证", "aliases": ["证件"]}, {"name": "居民户口簿", "aliases": ["证件"]}],
            }
        )


def test_real_vocabulary_knows_the_common_documents() -> None:
    from index.documents import read

    vocab, problems = read(catalogue.GUIDES_DIR)
    assert vocab is not None and not problems
    for alias, name in (
        ("身份证", "居民身份证"),
        ("户口本", "居民户口簿"),
        ("出生证", "出生医学证明"),
        ("居民死亡医学证明（推断）书", "死亡证明"),
        ("社保卡", "社会保障卡"),
        ("驾驶证", "机动车驾驶证"),
        ("房产证", "不动产权证书"),
    ):
        assert vocab.canonical(alias) == name
    for name in ("结婚证", "离婚证", "火化证明", "机动车行驶证", "营业执照", "近期免冠证件照", "银行卡", "居住证"):
        assert vocab.canonical(name) == name
    assert {"配偶", "新生儿", "父母双方", "逝者", "代办人", "监护人"} <= set(vocab.persons)


def test_cli_lists_every_local_value_empty_ones_too(guides: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from index import cli

    p = guides / PASSPORT
    p.write_text(p.read_text(encoding="utf-8") + "local:\n  加急费: 每本100元\n  照片费:\n", encoding="utf-8")
    assert cli.main(["--guides", str(guides), "list", "--local"]) == 0
    out = capsys.readouterr().out
    assert f"{PASSPORT}: local.加急费: 每本100元" in out
    assert f"{PASSPORT}: local.照片费: (empty: fill it in)" in out
