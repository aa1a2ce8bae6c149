"""The retrieval targets, measured on our own dev set; the outside data is reported where present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import evaluate, realeval
from index.search import Searcher
from tests.conftest import ROOT, need_shared_eval

pytestmark = pytest.mark.slow
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"


def test_dev_set_is_well_formed_and_covers_every_item(cat: object) -> None:
    cases = evaluate.read_cases(DEV)
    assert len(cases) >= 250
    covered = {i for c in cases if c.type == "guide" for i in c.expect}
    assert set(cat.items) <= covered  # type: ignore[attr-defined]
    assert {c.type for c in cases} == set(evaluate.TYPES)


def test_bad_eval_file_is_reported_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "e.jsonl"
    f.write_text('{"q": "护照", "type": "guide", "expect": ["passport"]}\n{"q": "x", "type": "nope"}\n')
    with pytest.raises(evaluate.EvalFileError, match=r"e.jsonl:2"):
        evaluate.read_cases(f)


def test_an_expected_alias_id_counts_as_the_item_it_names(tmp_path: Path) -> None:
    """The index holds only the canonical item of an alias entry (same_as), so a line naming the alias id expects it."""
    f = tmp_path / "e.jsonl"
    f.write_text('{"q": "新车上牌", "type": "guide", "expect": ["new-car-registration", "vehicle-registration"]}\n')
    assert evaluate.read_cases(f)[0].expect == ("vehicle-registration",)  # the alias entries under guides/
    assert evaluate.read_cases(f, {"new-car-registration": "x"})[0].expect == ("x", "vehicle-registration")
    assert evaluate.read_cases(f, {})[0].expect == ("new-car-registration", "vehicle-registration")
    outcome = evaluate.Outcome(evaluate.read_cases(f)[0], ("vehicle-registration", "yjs-new-car"), 1.0, True)
    assert evaluate.metrics([outcome])["top1"] == 1.0


def test_targets_on_the_dev_set(searcher: Searcher) -> None:
    cases = evaluate.read_cases(DEV)
    res = {m: evaluate.metrics(evaluate.run(searcher, cases, mode=m)) for m in ("bm25", "dense", "hybrid")}
    print(json.dumps({m: {k: v for k, v in r.items() if k not in ("misses", "by_type")} for m, r in res.items()}))
    h = res["hybrid"]
    assert h["top1"] >= 0.90 and h["top3"] >= 0.97 and h["abstain_acc"] >= 0.90, h
    assert h["top1"] > res["bm25"]["top1"] and h["top1"] > res["dense"]["top1"]


def test_calibration_keeps_false_confidence_rare() -> None:
    def o(t: str, score: float) -> evaluate.Outcome:
        return evaluate.Outcome(evaluate.Case("q", t, ("a",) if t != "out_of_scope" else ()), ("a",), score, False)

    outs = [o("guide", 1.0), o("guide", 0.95)] + [o("out_of_scope", s / 100) for s in range(80, 100)]
    t = evaluate.calibrate(outs, min_abstain=0.9)
    assert sum(x.top_score < t for x in outs if x.case.type == "out_of_scope") >= 18
    assert t == pytest.approx(0.9701)  # the lowest threshold that still abstains on 18 of 20
    assert sum(x.top_score >= t for x in outs if x.case.type == "guide") == 1


def test_lcqmc_same_meaning_pairs_land_together(searcher: Searcher) -> None:
    root = need_shared_eval()
    rep = realeval.lcqmc_pairs(searcher, root)
    print(json.dumps(rep))
    # 0.853 with 159 entries; 0.845 with 181: the pairs that split now land on neighbours the catalogue newly tells
    # apart (身份证补领 vs 挂失, 驾驶证期满换证 vs 补领), where both used to land on the one older entry
    assert rep["same_meaning_same_top1"] >= 0.84, rep


ROBUST = ROOT / "tests" / "data" / "robust_questions.jsonl"
ROBUST_CATS = {"traditional", "fullwidth", "pinyin_mixed", "homophone", "dialect_north", "dialect_southwest"}


def test_robustness_file_tags_every_line_and_has_twenty_per_category(cat: object) -> None:
    cases = evaluate.read_cases(ROBUST)
    counts = {c: sum(x.cat == c for x in cases) for c in ROBUST_CATS}
    assert all(n >= 20 for n in counts.values()), counts
    assert {x.cat for x in cases} == ROBUST_CATS
    known = {*cat.items, *cat.bundles, *cat.windows}  # type: ignore[attr-defined]
    assert {e for x in cases for e in x.expect} <= known


def _outcome(t: str, rank: int | None, cat: str | None = None) -> evaluate.Outcome:
    ids = ["x", "y", "z", "w"]
    if rank is not None:
        ids[rank] = "a"
    return evaluate.Outcome(evaluate.Case("q", t, ("a",) if t != "out_of_scope" else (), cat), tuple(ids), 1.0, True)


def test_metrics_split_the_misses_and_group_by_category() -> None:
    outs = [_outcome("guide", 0, "homophone"), _outcome("guide", 1, "homophone"), _outcome("bundle", 2, "dialect"),
            _outcome("bundle", None, "dialect"), _outcome("out_of_scope", None, "dialect")]  # fmt: skip
    m = evaluate.metrics(outs)
    assert (m["top1"], m["top3"], m["top3_not_first"], m["not_top3"]) == (0.25, 0.75, 0.5, 0.25)
    assert m["by_type"]["bundle"]["not_top3"] == 0.5 and m["by_type"]["guide"]["top3_not_first"] == 0.5
    assert m["by_cat"]["homophone"]["top1"] == 0.5 and m["by_cat"]["dialect"]["abstain_acc"] == 0.0
    assert [x["in_top3"] for x in m["misses"]] == [True, True, False, False]
    halves = evaluate.split(outs)
    assert halves["even"]["n"] == 3 and halves["odd"]["n"] == 2
    text = evaluate.table({"hybrid": {**m, "split": halves}})
    assert "cat:homophone" in text and "type:bundle" in text and "lines:odd" in text


def test_files_without_categories_have_no_by_cat() -> None:
    assert "by_cat" not in evaluate.metrics([_outcome("guide", 0)])


def test_robustness_targets(searcher: Searcher) -> None:
    res = evaluate.metrics(evaluate.run(searcher, evaluate.read_cases(ROBUST)))
    print(json.dumps({c: {k: v for k, v in r.items() if k in ("top1", "top3")} for c, r in res["by_cat"].items()}))
    assert res["top1"] >= 0.85 and res["top3"] >= 0.95, res
    assert all(r["top3"] >= 0.85 for r in res["by_cat"].values()), res["by_cat"]
