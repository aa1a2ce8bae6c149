"""The plain-word glossary: jargon without its plain words in the same sentence fails the check by file and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from index import catalogue, glossary
from index.glossary import Glossary, Term
from tests.conftest import ROOT
from tests.support.guides import edit_guide, load_errors

WORDS = Glossary(
    terms=[
        Term(term="即办", plain="当场办好", keep=["有诉即办"]),
        Term(term="受理", plain="收下材料", also=["开始办"]),
        Term(term="容缺受理", plain="缺的材料以后补", also=["补交"]),
    ]
)


def _terms(text: str) -> list[str]:
    return [t.term for t in glossary.unexplained(WORDS, text)]


def test_the_guides_glossary_covers_the_words_elderly_readers_stumble_on() -> None:
    words, problems = glossary.read(catalogue.GUIDES_DIR)
    assert words is not None and not problems
    have = {t.term for t in words.terms}
    assert {"即办", "办结", "受理", "封存", "登簿", "网签", "一类借记卡", "受托银行"} <= have
    assert all(t.plain for t in words.terms)


def test_a_term_needs_its_plain_words_in_the_same_sentence() -> None:
    assert _terms("即办") == ["即办"]
    assert _terms("即办，当场办好") == []
    assert _terms("收下材料后15日内审批（受理后15日）") == []
    assert _terms("开始办。受理后15日内审批") == ["受理"], "plain words in another sentence do not count"
    assert set(_terms("受理后15日内审批；即办")) == {"即办", "受理"}


def test_an_official_name_on_the_keep_list_stays() -> None:
    assert _terms("到“有诉即办”窗口反映") == []
    assert _terms("到“有诉即办”窗口反映，即办") == ["即办"]


def test_a_longer_term_hides_the_shorter_one_inside_it() -> None:
    assert _terms("次要材料缺一点的容缺受理") == ["容缺受理"]
    assert _terms("次要材料缺一点的容缺受理，约定时间补交") == []


def test_the_check_names_file_field_and_the_plain_words(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["time_limit"] = "即办"
    data["steps"][1] = "受理后拿回执"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errs = load_errors(guides)
    assert "items/passport.yml: time_limit: jargon '即办': write '当场办好', or explain it in the same sentence" in errs
    assert any(e.startswith("items/passport.yml: steps.1: jargon '受理'") for e in errs)


def test_bundles_windows_and_the_site_are_checked_too(guides: Path) -> None:
    edit_guide(guides / "bundles" / "yjs-veteran.yml", time_limit="当场受理，统一制证")
    edit_guide(guides / "windows" / "w-police.yml", summary="户政业务一窗办理")
    site = guides / "site.yml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["hours"]["weekend"] = "周六上午出件窗口开门"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errs = load_errors(guides)
    assert any(e.startswith("bundles/yjs-veteran.yml: time_limit: jargon '受理'") for e in errs)
    assert any(e.startswith("windows/w-police.yml: summary: jargon '一窗'") for e in errs)
    assert any(e.startswith("site.yml: hours.weekend: jargon '出件'") for e in errs)


def test_explained_in_place_passes_and_how_people_ask_is_not_checked(guides: Path) -> None:
    p = guides / "items" / "passport.yml"
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    data["time_limit"] = "即办（当场办好）"
    data["aliases"].append("护照即办吗")
    data["legal_basis"].append("受理办法")
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalogue.load(guides)


def test_a_keep_entry_must_hold_its_term(guides: Path) -> None:
    g = guides / "glossary.yml"
    data = yaml.safe_load(g.read_text(encoding="utf-8"))
    data["terms"][0]["keep"] = ["有诉必办"]
    g.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errs = load_errors(guides)
    assert any(e.startswith("glossary.yml: terms.0:") and "does not contain the term" in e for e in errs)


def test_a_term_is_listed_once(guides: Path) -> None:
    g = guides / "glossary.yml"
    data = yaml.safe_load(g.read_text(encoding="utf-8"))
    data["terms"].append(dict(data["terms"][1]))
    g.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any(e.startswith("glossary.yml: (file):") and "listed twice" in e for e in load_errors(guides))


def test_a_broken_glossary_is_reported_not_skipped(guides: Path) -> None:
    g = guides / "glossary.yml"
    data = yaml.safe_load(g.read_text(encoding="utf-8"))
    del data["terms"][0]["plain"]
    g.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "glossary.yml: terms.0.plain: Field required" in load_errors(guides)


def test_a_folder_without_a_glossary_has_nothing_to_enforce(guides: Path) -> None:
    (guides / "glossary.yml").unlink()
    edit_guide(guides / "items" / "passport.yml", time_limit="即办")
    catalogue.load(guides)


def test_cli_check_fails_on_jargon(guides: Path) -> None:
    edit_guide(guides / "items" / "passport.yml", time_limit="即办")
    r = subprocess.run(
        [sys.executable, "-m", "index", "--guides", str(guides), "check", "--no-required"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert r.returncode == 1
    assert "items/passport.yml: time_limit: jargon '即办'" in r.stderr and "Traceback" not in r.stderr
