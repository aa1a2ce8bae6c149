"""The answer decision over search hits: answer one entry, clarify between genuine rivals, or abstain.

One function (`decide`) for every caller: the gateway's answer endpoint (which the Rasa actions call) and the
degraded path (Rasa down) both go through it, so every channel gives the same answer. Its two numbers are
calibrated on our own dev set with an explicit cost (`python -m index calibrate-decision FILE`), kept in
`index/decision.json` beside the abstention calibration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from index import asked
from index.paths import DECISION_FILE
from index.search import Hit, Searcher

MAX_CHOICES = 3
MAX_ALTERNATIVES = 2

# What each outcome costs (a right direct answer costs nothing). A wrong direct answer misleads a citizen who
# then travels to the wrong window; a clarification costs one more tap; abstaining on a question we cover sends
# the person to the hotline. The calibration minimises the total over the dev set.
COST = {
    "right": 0.0,
    "clarify_right": 1.0,
    "abstain_answerable": 2.0,
    "clarify_wrong": 3.0,
    "wrong": 5.0,
    "answer_out_of_scope": 5.0,
    "clarify_out_of_scope": 2.0,
    "abstain_out_of_scope": 0.0,
}

# the bounds, as constraints on the calibration: a citizen should rarely be asked "which one?", should
# more rarely still get a wrong answer, and questions we do not cover must be declined
MAX_CLARIFY = 0.10
MAX_WRONG = 0.05
MIN_DECLINED = 0.90

Kind = Literal["answer", "clarify", "abstain"]


@dataclass(frozen=True)
class DecisionCalibration:
    threshold: float = 0.9432  # the top score must reach this to answer or clarify (else abstain)
    margin: float = 0.02  # an unrelated entry this close to the top one makes the question ambiguous
    alternative_gap: float = 0.05  # "您是不是还想问": related hits within this of the top one
    bare_margin: float = 0.05  # a bare topic ("公积金", "退休") names a field, not an errand: rivals count wider


def load_calibration(path: Path = DECISION_FILE) -> DecisionCalibration:
    try:
        data = json.loads(path.read_text())
        return DecisionCalibration(
            threshold=float(data["threshold"]),
            margin=float(data["margin"]),
            alternative_gap=float(data.get("alternative_gap", DecisionCalibration.alternative_gap)),
            bare_margin=float(data.get("bare_margin", DecisionCalibration.bare_margin)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return DecisionCalibration()


@dataclass(frozen=True)
class Decision:
    kind: Kind
    top: Hit | None = None
    choices: list[Hit] = field(default_factory=list)  # clarify: the rivals, top first
    alternatives: list[Hit] = field(default_factory=list)  # answer: other close entries worth a button


def related(a: Hit, b: Hit) -> bool:
    """Not rivals: the same entry, a bundle and its member item, an item (or bundle) and its window."""
    if a.id == b.id or a.id in b.bundles or b.id in a.bundles:
        return True
    return a.window == b.id or b.window == a.id


def decide(hits: Sequence[Hit], cal: DecisionCalibration, *, bare: bool = False) -> Decision:
    """Answer the top hit unless an unrelated entry is as likely; abstain below the threshold."""
    if not hits or hits[0].score < cal.threshold:
        return Decision("abstain", top=hits[0] if hits else None)
    top = hits[0]
    margin = max(cal.margin, cal.bare_margin) if bare else cal.margin
    close = [h for h in hits[1:MAX_CHOICES] if top.score - h.score <= margin]
    rivals = [h for h in close if not related(top, h)]
    if rivals:
        return Decision("clarify", top=top, choices=[top, *rivals][:MAX_CHOICES])
    alternatives = [h for h in hits[1:] if top.score - h.score <= cal.alternative_gap and h.score >= cal.threshold]
    return Decision("answer", top=top, alternatives=alternatives[:MAX_ALTERNATIVES])


ErrandHits = Sequence[Hit] | Callable[[], Sequence[Hit] | None] | None


def decide_twice(
    hits: Sequence[Hit], errand_hits: ErrandHits, cal: DecisionCalibration, *, bare: bool = False
) -> Decision:
    """Search once on the whole message; when that lands on a window or nothing, once more on the errand's words.

    "办居住证去几楼" ranks windows first ("几楼" is a window cue) though it names an errand, and "开小超市要准备啥材料"
    scores lower whole than "开小超市": the errand named in the message is the better answer then. `errand_hits` may
    be a function, so a live turn searches the second time only when the first did not settle it.
    """
    first = decide(hits, cal, bare=bare)
    if errand_hits is None or (first.kind == "answer" and first.top is not None and first.top.kind != "window"):
        return first
    second_hits = errand_hits() if callable(errand_hits) else errand_hits
    if second_hits is None:
        return first
    second = decide(second_hits, cal)
    if second.kind == "answer" and second.top is not None and second.top.kind != "window":
        return second
    return first


def errand_search(searcher: Searcher, normalised: str, k: int = 5) -> list[Hit] | None:
    """The hits of the message's errand words, None when those are the whole message (see decide_twice)."""
    errand = asked.errand_words(normalised)
    return searcher.search(errand, k=k).hits if errand != normalised else None


def search_twice(searcher: Searcher, normalised: str, k: int = 5) -> tuple[list[Hit], list[Hit] | None]:
    """Both searches at once, for the calibration (which replays every threshold over the same hits)."""
    return searcher.search(normalised, k=k).hits, errand_search(searcher, normalised, k)


# ---- calibration ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    type: str  # guide | bundle | window | complaint | out_of_scope
    expect: tuple[str, ...]
    hits: tuple[Hit, ...]
    errand_hits: tuple[Hit, ...] | None = None
    bare: bool = False


def outcome(sample: Sample, d: Decision) -> str:
    if sample.type == "out_of_scope":
        return {"answer": "answer_out_of_scope", "clarify": "clarify_out_of_scope"}.get(d.kind, "abstain_out_of_scope")
    if d.kind == "abstain":
        return "abstain_answerable"
    if d.kind == "clarify":
        return "clarify_right" if any(c.id in sample.expect for c in d.choices) else "clarify_wrong"
    return "right" if d.top is not None and d.top.id in sample.expect else "wrong"


def evaluate(samples: Iterable[Sample], cal: DecisionCalibration) -> dict[str, float]:
    counts = dict.fromkeys(COST, 0)
    n = 0
    for s in samples:
        counts[outcome(s, decide_twice(s.hits, s.errand_hits, cal, bare=s.bare))] += 1
        n += 1
    answerable = n - counts["answer_out_of_scope"] - counts["clarify_out_of_scope"] - counts["abstain_out_of_scope"]
    oos = n - answerable
    cost = sum(COST[k] * v for k, v in counts.items())
    return {
        "cost_per_question": round(cost / max(n, 1), 4),
        "right_direct": round(counts["right"] / max(answerable, 1), 4),
        "clarify": round((counts["clarify_right"] + counts["clarify_wrong"]) / max(answerable, 1), 4),
        "wrong_direct": round(counts["wrong"] / max(answerable, 1), 4),
        "abstain_answerable": round(counts["abstain_answerable"] / max(answerable, 1), 4),
        "out_of_scope_declined": round(counts["abstain_out_of_scope"] / max(oos, 1), 4),
        "questions": n,
    }


def _grid(lo: float, hi: float, step: float) -> list[float]:
    n = round((hi - lo) / step)
    return [round(lo + i * step, 4) for i in range(n + 1)]


def calibrate(samples: list[Sample]) -> tuple[DecisionCalibration, dict[str, float]]:
    """The (threshold, margin) of least total cost among those that keep clarifications at most MAX_CLARIFY, wrong
    direct answers at most MAX_WRONG, and decline at least MIN_DECLINED of out-of-scope questions; ties go to the
    higher threshold and the larger margin (the safer side: a clarification rather than a wrong answer)."""
    best: tuple[float, float, float, float] | None = None
    chosen = DecisionCalibration()
    for threshold in _grid(0.80, 1.10, 0.0025):
        for margin in _grid(0.0, 0.08, 0.0025):
            cal = DecisionCalibration(threshold=threshold, margin=margin)
            fig = evaluate(samples, cal)
            feasible = (
                fig["clarify"] <= MAX_CLARIFY
                and fig["wrong_direct"] <= MAX_WRONG
                and fig["out_of_scope_declined"] >= MIN_DECLINED
            )
            key = (0.0 if feasible else 1.0, fig["cost_per_question"], -threshold, -margin)
            if best is None or key < best:
                best, chosen = key, cal
    return chosen, evaluate(samples, chosen)


def write_calibration(
    cal: DecisionCalibration,
    figures: dict[str, float],
    source: str,
    path: Path = DECISION_FILE,
    *,
    held_out: dict[str, object] | None = None,
) -> None:
    data = {
        **asdict(cal),
        "cost": COST,
        "constraints": {"max_clarify": MAX_CLARIFY, "max_wrong": MAX_WRONG, "min_out_of_scope_declined": MIN_DECLINED},
        "dev_figures": figures,
        "held_out_figures": held_out or {},
        "made_by": f"python -m index calibrate-decision {source}",
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
