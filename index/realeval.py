"""Measure on data nobody on the team wrote (../shared/eval/real), read at run time, never copied.

`python -m index realeval --json` reports
- LCQMC gov pairs: how often both questions of a same-meaning pair land on the same top entry;
- scale: an index with the 1,135 official item names of one real district added as extra
  entries: build time, memory, search latency and whether our dev set still finds our guides.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from index import evaluate
from index.build import build
from index.catalogue import Catalogue
from index.embed import Encoder
from index.paths import EVAL_REAL
from index.search import Searcher

LCQMC = "lcqmc_gov_subset/lcqmc_gov_keyword_pairs.jsonl"
ITEMS = "sichuan_guangan_service_items/service_items.csv"


class NoEvalData(FileNotFoundError):
    """../shared/eval/real is only on the team's machines."""


def _need(rel: str, root: Path) -> Path:
    p = root / rel
    if not p.is_file():
        raise NoEvalData(f"{p} not found: outside eval data is only on the team's machines; skipped")
    return p


def lcqmc_pairs(searcher: Searcher, root: Path = EVAL_REAL) -> dict[str, Any]:
    rows = [json.loads(line) for line in _need(LCQMC, root).read_text(encoding="utf-8").splitlines() if line]
    same: list[bool] = []
    diff: list[bool] = []
    for r in rows:
        a = searcher.search(r["text_a"], k=1).hits
        b = searcher.search(r["text_b"], k=1).hits
        agree = bool(a and b and a[0].id == b[0].id)
        (same if r["label"] == 1 else diff).append(agree)
    return {
        "pairs": len(rows),
        "same_meaning_pairs": len(same),
        "same_meaning_same_top1": round(sum(same) / max(1, len(same)), 4),
        "different_meaning_pairs": len(diff),
        "different_meaning_same_top1": round(sum(diff) / max(1, len(diff)), 4),
    }


def real_item_names(root: Path = EVAL_REAL) -> list[tuple[str, str]]:
    import csv

    with _need(ITEMS, root).open(encoding="utf-8") as f:
        return [(f"ext-{i}", r["item_name"]) for i, r in enumerate(csv.DictReader(f)) if r.get("item_name")]


def scale(cat: Catalogue, encoder: Encoder, dev_file: Path, root: Path = EVAL_REAL) -> dict[str, Any]:
    extra = real_item_names(root)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index"
        t0 = time.perf_counter()
        manifest = build(cat, out, encoder, extra_names=extra, quiet=True)
        build_s = time.perf_counter() - t0
        s = Searcher(out, encoder)
        cases = evaluate.read_cases(dev_file)
        outcomes = evaluate.run(s, cases)
        lat = []
        for c in cases[:200]:
            t = time.perf_counter()
            s.search(c.q)
            lat.append((time.perf_counter() - t) * 1000)
        m = evaluate.metrics(outcomes)
        ext_top1 = sum(o.ids[0].startswith("ext-") for o in outcomes if o.case.type != "out_of_scope")
        return {
            "extra_names": len(extra),
            "entries": manifest["entries"],
            "passages": manifest["passages"],
            "build_s": round(build_s, 1),
            "search_p50_ms": round(statistics.median(lat), 2),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
            "dev_top1": m["top1"],
            "dev_top3": m["top3"],
            "dev_abstain_acc": m.get("abstain_acc"),
            "dev_answerable_lines_won_by_an_extra_name": ext_top1,
        }
