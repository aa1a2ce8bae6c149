"""Measure the searcher on an eval file, and calibrate the abstention threshold."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.search import Mode, Searcher

ANSWERABLE = ("guide", "bundle", "window", "complaint")
TYPES = (*ANSWERABLE, "out_of_scope")


class EvalFileError(ValueError):
    """A line of the eval file is not `{"q", "type", "expect"}` (plus an optional `"cat"`)."""


@dataclass(frozen=True)
class Case:
    q: str
    type: str
    expect: tuple[str, ...]
    cat: str | None = None  # a robustness category (traditional, homophone, dialect_north…), when the file tags one


def read_cases(path: Path, same_as: Mapping[str, str] | None = None) -> list[Case]:
    """The lines of an eval file; an expected id that is an alias entry (`same_as`) counts as the item it names,
    the only id the index holds. `same_as` defaults to the alias entries under guides/."""
    if same_as is None:
        from index.catalogue import same_as_ids

        same_as = same_as_ids()
    cases: list[Case] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cat = row.get("cat")
            expect = tuple(dict.fromkeys(same_as.get(str(e), str(e)) for e in row.get("expect", [])))
            case = Case(str(row["q"]), str(row["type"]), expect, None if cat is None else str(cat))
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


def summarise(rows: list[Outcome]) -> dict[str, Any]:
    """top1/top3/mrr over answerable lines, with the misses split into "in the top 3 but not first"
    (`top3_not_first`) and "not in the top 3" (`not_top3`); abstain_acc over out_of_scope lines."""
    ans = [o for o in rows if o.case.type in ANSWERABLE]
    oos = [o for o in rows if o.case.type == "out_of_scope"]
    ranks = [_rank(o) for o in ans]
    res: dict[str, Any] = {"n": len(rows)}
    if ans:
        top3 = sum(r is not None and r < 3 for r in ranks)
        res["top1"] = round(sum(r == 0 for r in ranks) / len(ans), 4)
        res["top3"] = round(top3 / len(ans), 4)
        res["mrr"] = round(sum(1 / (r + 1) for r in ranks if r is not None) / len(ans), 4)
        res["answered_right"] = round(
            sum(r == 0 and o.confident for r, o in zip(ranks, ans, strict=True)) / len(ans), 4
        )
        res["top3_not_first"] = round(sum(r is not None and 0 < r < 3 for r in ranks) / len(ans), 4)
        res["not_top3"] = round((len(ans) - top3) / len(ans), 4)
    if oos:
        res["abstain_acc"] = round(sum(not o.confident for o in oos) / len(oos), 4)
    return res


def _grouped(outcomes: list[Outcome], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        value = getattr(o.case, key)
        if value is not None:
            groups[value].append(o)
    return {g: summarise(rows) for g, rows in sorted(groups.items())}


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """The summary of all lines, `by_type`, `by_cat` when the file tags categories, and the misses."""
    result = summarise(outcomes)
    result["by_type"] = _grouped(outcomes, "type")
    if any(o.case.cat is not None for o in outcomes):
        result["by_cat"] = _grouped(outcomes, "cat")
    result["misses"] = [
        {
            "q": o.case.q,
            "type": o.case.type,
            "expect": list(o.case.expect),
            "got": list(o.ids[:3]),
            "in_top3": _rank(o) is not None and (_rank(o) or 0) < 3,
            "confident": o.confident,
        }
        for o in outcomes
        if (o.case.type in ANSWERABLE and _rank(o) != 0) or (o.case.type == "out_of_scope" and o.confident)
    ]
    return result


def calibrate(outcomes: list[Outcome], min_abstain: float = 0.925) -> float:
    """The lowest threshold on the top score that still abstains on `min_abstain` of out-of-scope lines.

    Lowest, so that as many right answers as possible are given with
    confidence; the out-of-scope share is the guard against answering
    what we do not cover with false confidence.
    """
    oos = sorted(o.top_score for o in outcomes if o.case.type == "out_of_scope")
    if not oos:
        return 0.0
    # abstain when score < t: need at least ceil(min_abstain * n) scores below t
    need = min(len(oos), int(-(-min_abstain * len(oos) // 1)))
    t = oos[need - 1] + 1e-4 if need > 0 else oos[0]
    return round(t, 4)


def split(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    """The even and odd lines apart: the fusion is tuned on the even lines (and the answer decision calibrated on
    them in its held-out check), so the odd lines say what to expect on questions the tuning has not seen."""
    return {"even": summarise(outcomes[0::2]), "odd": summarise(outcomes[1::2])}


def table(report: dict[str, dict[str, Any]]) -> str:
    """The figures of one or more modes as a plain-text table: overall, per type, per category, even/odd lines."""
    cols = ("n", "top1", "top3", "top3_not_first", "not_top3", "mrr", "abstain_acc")
    lines = [f"{'mode':7} {'rows':24} " + " ".join(f"{c:>14}" for c in cols)]

    def row(mode: str, label: str, r: dict[str, Any]) -> str:
        cells = [f"{r[c]:>14}" if c in r else f"{'':>14}" for c in cols]
        return f"{mode:7} {label:24} " + " ".join(cells)

    for mode, res in report.items():
        lines.append(row(mode, "all", res))
        for group in ("by_type", "by_cat", "split"):
            for label, r in (res.get(group) or {}).items():
                lines.append(row(mode, f"{group[3:] if group != 'split' else 'lines'}:{label}", r))
    return "\n".join(lines)
