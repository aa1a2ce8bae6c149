"""`python -m bench.category_eval [FILE] --json`: how well a complaint story tells its category and its errand.

In-process, on the gateway's own code (api/cases/categorize.py) and search index: for each story of
tests/data/complaint_stories.jsonl (written by the team: {"story", "category", "item"}), the category the form would
fill without asking — by cue words only, and by cues then similarity to each category's `about` lines — and the
errand search links. A category is `right`, `wrong`, or `asked` (left to the person, who then types it; for an
`other` story that is right enough, so it counts as asked, never wrong). An errand is linked right, linked wrong,
or not linked; a story naming no errand that gets one is a `spurious` link.

Lines alternate between a tuning half (even lines) and a held-out half (odd lines). `--calibrate` searches the
similarity rule's thresholds on the tuning half (cost: a wrong category 4, a question 1) and prints the best with
both halves' figures; put them in api/cases/categories.yml `similar:` and report the held-out half.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.cases import categorize
from api.cases.config import CaseConfig, default_config
from bench.evalclient import DATA_DIR, DevFileError

DEFAULT_FILE = DATA_DIR / "complaint_stories.jsonl"
# a wrong category is filled in silently and must be caught at the read-back ("类别不对"), which an elderly reader
# may not do, and it sets the wrong deadline; a question costs one turn
WRONG_COST = 4.0
GRID_SCORES = [round(0.80 + 0.005 * i, 3) for i in range(31)]  # 0.80 … 0.95
GRID_MARGINS = [round(0.0025 * i, 4) for i in range(17)]  # 0 … 0.04


@dataclass(frozen=True)
class Story:
    text: str
    category: str
    item: str | None


def read_stories(path: Path) -> list[Story]:
    """Every story of a dev file; a broken line stops the run with its line number."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Story(str(d["story"]), str(d["category"]), d.get("item") or None))
        except (ValueError, KeyError, TypeError) as exc:
            raise DevFileError(f'{path}:{n}: expected {{"story", "category", "item"}} ({exc})') from exc
    return out


def grade(story: Story, found: str | None) -> str:
    if found is None:
        return "asked"
    if found == story.category:
        return "right"
    return "asked" if story.category == "other" and found is None else "wrong"


def category_figures(grades: list[str]) -> dict[str, Any]:
    n = len(grades) or 1
    c = Counter(grades)
    return {
        "stories": len(grades),
        "right": round(c["right"] / n, 3),
        "wrong": round(c["wrong"] / n, 3),
        "asked": round(c["asked"] / n, 3),
        "cost": round((WRONG_COST * c["wrong"] + c["asked"]) / n, 3),
    }


def errand_figures(stories: list[Story], linked: list[str | None]) -> dict[str, Any]:
    named = [(s, x) for s, x in zip(stories, linked, strict=True) if s.item]
    unnamed = [x for s, x in zip(stories, linked, strict=True) if not s.item]
    right = sum(1 for s, x in named if x == s.item)
    wrong = sum(1 for s, x in named if x is not None and x != s.item)
    links = right + wrong
    return {
        "naming_an_errand": len(named),
        "linked_right": round(right / (len(named) or 1), 3),
        "linked_wrong": round(wrong / (len(named) or 1), 3),
        "precision": round(right / links, 3) if links else None,
        "spurious_links": round(sum(1 for x in unnamed if x) / (len(unnamed) or 1), 3),
    }


def measure(
    stories: list[Story], config: CaseConfig, sim: categorize.Similarity | None, scores: list[dict[str, float]]
) -> dict[str, Any]:
    """Cues only and cues + similarity (the file's rule), on the given stories."""
    cues, both = [], []
    for story, sc in zip(stories, scores, strict=True):
        by_cues = categorize.from_story(story.text, config)
        cues.append(grade(story, by_cues.category.code if by_cues else None))
        found = by_cues.category.code if by_cues else decide(sc, config.similar.min_score, config.similar.margin)
        both.append(grade(story, found))
    return {"cues_only": category_figures(cues), "cues_and_similarity": category_figures(both)}


def decide(scores: dict[str, float], min_score: float, margin: float) -> str | None:
    """Similarity's choice under one rule (the same test as categorize.Similarity.closest)."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return None
    top, second = ranked[0][1], (ranked[1][1] if len(ranked) > 1 else -1.0)
    return ranked[0][0] if top >= min_score and top - second >= margin else None


def calibrate(stories: list[Story], config: CaseConfig, scores: list[dict[str, float]]) -> tuple[float, float, float]:
    """(min_score, margin, cost) with the lowest cost on these stories; on a tie the lowest thresholds found first."""
    cued = [categorize.from_story(s.text, config) for s in stories]
    best: tuple[float, float, float] | None = None
    for floor in GRID_SCORES:
        for margin in GRID_MARGINS:
            grades = [
                grade(s, c.category.code if c else decide(sc, floor, margin))
                for s, c, sc in zip(stories, cued, scores, strict=True)
            ]
            cost = category_figures(grades)["cost"]
            if best is None or cost < best[2] - 1e-9:
                best = (floor, margin, cost)
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: the configured one)")
    parser.add_argument("--calibrate", action="store_true", help="search the similarity thresholds (tuning half)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from index.build import DEFAULT_INDEX_DIR
    from index.search import IndexMissing, Searcher

    try:
        searcher = Searcher.load(args.index or DEFAULT_INDEX_DIR)
    except IndexMissing as exc:
        print(f"[bench] category eval skipped: {exc}", file=sys.stderr)
        return 0
    config = default_config()
    stories = read_stories(args.file)
    print(f"[bench] {len(stories)} stories: categories and errands …", file=sys.stderr)
    sim = categorize.Similarity(config, searcher.encoder.encode_queries)
    scores = [sim.scores(s.text) for s in stories]
    halves = {"tune": stories[0::2], "held_out": stories[1::2]}
    half_scores = {"tune": scores[0::2], "held_out": scores[1::2]}
    report: dict[str, Any] = {
        "machine_note": "in-process, the search index and e5 encoder of the gateway",
        "rule": {"min_score": config.similar.min_score, "margin": config.similar.margin},
    }
    for name, part in halves.items():
        report[name] = measure(part, config, sim, half_scores[name])
    linked = []
    for s in stories:
        hit = categorize.errand(searcher, s.text)
        linked.append(hit.id if hit else None)
    report["errand"] = {name: errand_figures(part, linked[i::2]) for i, (name, part) in enumerate(halves.items())}
    if args.calibrate:
        floor, margin, cost = calibrate(halves["tune"], config, half_scores["tune"])
        tuned = CaseConfig(
            categories=config.categories,
            supervise_sla_days=config.supervise_sla_days,
            similar=type(config.similar)(min_score=floor, margin=margin),
        )
        report["calibrated"] = {
            "min_score": floor,
            "margin": margin,
            "tune_cost": cost,
            "held_out": measure(halves["held_out"], tuned, sim, half_scores["held_out"]),
        }
    print(
        json.dumps({"complaint_categories": report}, ensure_ascii=False)
        if args.json
        else json.dumps(report, ensure_ascii=False, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
