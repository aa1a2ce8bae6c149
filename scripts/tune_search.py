"""Grid-search the fusion weights on the dev set (signals computed once). Dev-only tool.

.venv/bin/python scripts/tune_search.py tests/data/dev_questions.jsonl
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import evaluate, text
from index.build import DEFAULT_INDEX_DIR
from index.search import Fusion, Searcher


def main() -> None:
    cases = evaluate.read_cases(Path(sys.argv[1]))
    s = Searcher.load(DEFAULT_INDEX_DIR)
    sigs = [s.signals(text.normalize(c.q)) for c in cases]
    ids = [e["id"] for e in s.entries]
    grid = {
        "sparse": [0.06, 0.08, 0.1],
        "sparse_scale": [12.0, 20.0],
        "bundle_penalty": [0.04, 0.06],
        "bundle_boost": [0.02, 0.05],
        "window_penalty": [0.02],
        "complaint_boost": [0.04, 0.06],
    }
    results = []
    for values in itertools.product(*grid.values()):
        f = dataclasses.replace(Fusion(), **dict(zip(grid.keys(), values, strict=True)))
        outs = []
        for c, sig in zip(cases, sigs, strict=True):
            sc = s.fuse(sig, "hybrid", f)
            top = np.argsort(-sc)[:10]
            outs.append(evaluate.Outcome(c, tuple(ids[i] for i in top), float(sc[top[0]]), False))
        th = evaluate.calibrate(outs)
        outs = [dataclasses.replace(o, confident=o.top_score >= th) for o in outs]
        m = evaluate.metrics(outs)
        results.append((m["top1"], m["top3"], m.get("abstain_acc", 0), m["answered_right"], th, values))
    results.sort(key=lambda r: (r[0] + r[3], r[1]), reverse=True)
    print("keys:", list(grid))
    for r in results[:10]:
        print(r)


if __name__ == "__main__":
    main()
