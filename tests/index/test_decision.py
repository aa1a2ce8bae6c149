"""The answer decision over hits: rivals make a clarification, relations do not; calibration respects its bounds."""

from __future__ import annotations

from index.decision import DecisionCalibration, Sample, calibrate, decide, decide_twice, evaluate, related
from index.search import Hit

CAL = DecisionCalibration(threshold=0.95, margin=0.01, alternative_gap=0.05, bare_margin=0.05)


def hit(eid: str, score: float, kind: str = "item", window: str | None = "w-a", bundles: tuple[str, ...] = ()) -> Hit:
    return Hit(eid, kind, eid, score, window, list(bundles))


def test_a_clear_top_hit_is_answered_with_close_alternatives() -> None:
    d = decide([hit("a", 1.02), hit("b", 0.99), hit("c", 0.90)], CAL)
    assert d.kind == "answer" and d.top is not None and d.top.id == "a"
    assert [h.id for h in d.alternatives] == ["b"]  # within the gap and above the threshold


def test_an_unrelated_entry_as_likely_makes_a_clarification() -> None:
    d = decide([hit("a", 1.00), hit("b", 0.995), hit("c", 0.80)], CAL)
    assert d.kind == "clarify" and [h.id for h in d.choices] == ["a", "b"]


def test_a_bundle_holding_the_item_and_the_items_window_are_not_rivals() -> None:
    item = hit("a", 1.00, bundles=("yjs-x",))
    assert related(item, hit("yjs-x", 0.999, kind="bundle", window="w-yjs"))
    assert related(item, hit("w-a", 0.999, kind="window", window=None))
    d = decide([item, hit("yjs-x", 0.999, kind="bundle"), hit("w-a", 0.998, kind="window", window=None)], CAL)
    assert d.kind == "answer"


def test_below_the_threshold_abstains_and_a_bare_topic_counts_rivals_wider() -> None:
    assert decide([hit("a", 0.94)], CAL).kind == "abstain"
    assert decide([], CAL).kind == "abstain"
    hits = [hit("a", 1.00), hit("b", 0.97)]
    assert decide(hits, CAL).kind == "answer"
    assert decide(hits, CAL, bare=True).kind == "clarify"


def test_a_window_first_gives_way_to_the_errand_named() -> None:
    window_first = [hit("w-marriage", 1.04, kind="window", window=None)]
    errand = [hit("residence-permit", 1.03, window="w-police")]
    d = decide_twice(window_first, errand, CAL)
    assert d.top is not None and d.top.id == "residence-permit"
    assert decide_twice(window_first, None, CAL).top.id == "w-marriage"  # type: ignore[union-attr]


def test_calibration_minimises_cost_within_the_clarify_and_decline_bounds() -> None:
    samples = [Sample("guide", ("a",), (hit("a", 1.00), hit("b", 0.995)))] * 39
    samples += [Sample("guide", ("b",), (hit("a", 1.00), hit("b", 0.995)))] * 1
    samples += [Sample("out_of_scope", (), (hit("z", 0.93),))] * 10
    cal, figures = calibrate(samples)
    assert figures["clarify"] <= 0.10 and figures["wrong_direct"] <= 0.05 and figures["out_of_scope_declined"] >= 0.90
    assert figures == evaluate(samples, cal)
    assert figures["right_direct"] == 0.975  # answering beats asking "which one?" of all forty


def test_calibration_does_not_buy_right_answers_with_too_many_wrong_ones() -> None:
    samples = [Sample("guide", ("a",), (hit("a", 1.00), hit("b", 0.995)))] * 8
    samples += [Sample("guide", ("b",), (hit("a", 1.00), hit("b", 0.995)))] * 2  # answering: 2 of 10 wrong
    samples += [Sample("out_of_scope", (), (hit("z", 0.93),))] * 10
    _, figures = calibrate(samples)
    assert figures["wrong_direct"] <= 0.05
