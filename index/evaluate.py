"""Measure the searcher on an eval file, and calibrate the abstention threshold."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.search import Mode, Searcher

ANSWERABLE = ("guide", "bundle", "window", "complaint")
TYPES = (*ANSWERABLE, "out_of_scope")


class EvalFileError(ValueError):
    """A line of the eval file is not `{"q", "type", "expect"}`."""


@dataclass(frozen=True)
class Case:
    q: str
    type: str
    expect: tuple[str, ...]


def read_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            case = Case(str(row["q"]), str(row["type"]), tuple(row.get("expect", [])))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{n}: {exc}") from exc
        if case.type not in TYPES:
            raise EvalFileError(f"{path}:{n}: type must be one of {', '.join(TYPES)}")
        cases.append(case)
    return cases


@dataclass(frozen=True)
class Outcome:
    case: Case
    ids: tuple[str, ...]
    top_score: float
    confident: bool


def run(searcher: Searcher, cases: list[Case], mode: Mode = "hybrid", k: int = 10) -> list[Outcome]:
    out = []
    for c in cases:
        r = searcher.search(c.q, k=k, mode=mode)
        top = r.hits[0].score if r.hits else 0.0
        out.append(Outcome(c, tuple(h.id for h in r.hits), top, r.confident))
    return out


def _rank(o: Outcome) -> int | None:
    for i, hid in enumerate(o.ids):
        if hid in o.case.expect:
            return i
    return None


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """top1/top3/mrr over answerable lines; abstain_acc over out_of_scope lines."""

    def summarise(rows: list[Outcome]) -> dict[str, Any]:
        ans = [o for o in rows if o.case.type in ANSWERABLE]
        oos = [o for o in rows if o.case.type == "out_of_scope"]
        ranks = [_rank(o) for o in ans]
        res: dict[str, Any] = {"n": len(rows)}
        if ans:
            res["top1"] = round(sum(r == 0 for r in ranks) / len(ans), 4)
            res["top3"] = round(sum(r is not None and r < 3 for r in ranks) / len(ans), 4)
            res["mrr"] = round(sum(1 / (r + 1) for r in ranks if r is not None) / len(ans), 4)
            res["answered_right"] = round(
                sum(r == 0 and o.confident for r, o in zip(ranks, ans, strict=True)) / len(ans), 4
            )
        if oos:
            res["abstain_acc"] = round(sum(not o.confident for o in oos) / len(oos), 4)
        return res

    result = summarise(outcomes)
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_type[o.case.type].append(o)
    result["by_type"] = {t: summarise(rows) for t, rows in sorted(by_type.items())}
    result["misses"] = [
        {
            "q": o.case.q,
            "type": o.case.type,
            "expect": list(o.case.expect),
            "got": list(o.ids[:3]),
            "confident": o.confident,
        }
        for o in outcomes
        if (o.case.type in ANSWERABLE and _rank(o) != 0) or (o.case.type == "out_of_scope" and o.confident)
    ]
    return result


def calibrate(outcomes: list[Outcome]) -> float:
    """The threshold on the top score that best separates right answers from what must abstain.

    Positives are answerable lines whose top hit is right; negatives are
    out-of-scope lines and wrong top hits (saying "I don't know" beats a wrong
    answer). Balanced accuracy, so the larger class does not dominate.
    """
    pos = sorted(o.top_score for o in outcomes if o.case.type in ANSWERABLE and _rank(o) == 0)
    neg = sorted(
        o.top_score for o in outcomes if o.case.type == "out_of_scope" or (o.case.type in ANSWERABLE and _rank(o) != 0)
    )
    if not pos or not neg:
        return 0.0
    best, best_t = -1.0, 0.0
    for t in sorted(set(pos + neg)):
        tpr = sum(p >= t for p in pos) / len(pos)
        tnr = sum(n < t for n in neg) / len(neg)
        # weight out-of-scope rejection a little higher: false confidence is the worst outcome
        score = 0.45 * tpr + 0.55 * tnr
        if score > best:
            best, best_t = score, t
    return round(best_t, 4)
