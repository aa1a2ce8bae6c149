"""Fail when the held-out NLU results miss the targets (intent accuracy >= 0.92, macro-F1 >= 0.90)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

MIN_ACCURACY = 0.92
MIN_MACRO_F1 = 0.90


def main(report_path: str) -> int:
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    accuracy = float(report["accuracy"])
    macro_f1 = float(report["macro avg"]["f1-score"])
    ok = accuracy >= MIN_ACCURACY and macro_f1 >= MIN_MACRO_F1
    print(
        f"held-out NLU: intent accuracy {accuracy:.3f} (target {MIN_ACCURACY}), "
        f"macro-F1 {macro_f1:.3f} (target {MIN_MACRO_F1}) -> {'ok' if ok else 'BELOW TARGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "var/bot-results/nlu/intent_report.json"))
