"""Report how letter-style citizen messages are classified: ask_howto vs file_complaint.

Three sets: our own letters (tests/data/letters_dev.jsonl: 320 questions wrapped in a story, 320 grievances and help
requests, written for this decision and never trained on), our own hard letters (tests/data/letters_hard.jsonl: 160
questions wrapped in frustration, half of them on policies no guide covers, and 160 help requests and grievances
asked as questions, "能不能派人来看看", written apart from the first set and never trained on) and the real messages
of MSGABench (../shared/eval), read at run time and never copied; the real set is skipped with a message when
../shared is absent.
Run with .venv-rasa/bin/python scripts/eval_real_messages.py --model bot/models/baihua.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "real" / "msgabench_gov_qa" / "citizen_messages_type_domain_sentiment.jsonl"
OWN = ROOT / "tests" / "data" / "letters_dev.jsonl"
OWN_HARD = ROOT / "tests" / "data" / "letters_hard.jsonl"
TYPES = {"consult": "咨询", "complaint": "投诉/求助"}
HOWTO_INTENTS = {"ask_howto", "ask_materials", "ask_location", "ask_time", "ask_online", "ask_fee"}


def sample(path: Path, per_type: int, seed: int) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = collections.defaultdict(list)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            by_type[row.get("message_type", "")].append(row["message"])
    rng = random.Random(seed)
    return {key: rng.sample(by_type[label], min(per_type, len(by_type[label]))) for key, label in TYPES.items()}


def own_letters(path: Path = OWN) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {key: [] for key in TYPES}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            by_type[row["type"]].append(row["message"])
    return by_type


def shares(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    out = {}
    for key, tally in counts.items():
        total = sum(tally.values()) or 1
        share = {intent: round(tally.get(intent, 0) / total, 3) for intent in ("ask_howto", "file_complaint")}
        # a follow-up intent (ask_fee, ask_location…) is a how-to question too: the answer decision serves both
        share["how_to"] = round(sum(n for intent, n in tally.items() if intent in HOWTO_INTENTS) / total, 3)
        out[f"{key}_share"] = share
    return out


async def classify(model: str, sets: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, dict[str, int]]]:
    sys.path.insert(0, str(ROOT / "bot"))  # the pipeline's own components (addons.intent_guard)
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return {name: await _classify(agent, groups) for name, groups in sets.items()}


async def _classify(agent: Any, groups: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for key, messages in groups.items():
        tally: collections.Counter[str] = collections.Counter()
        for text in messages:
            parsed = await agent.parse_message(text[:2000])
            tally[(parsed.get("intent") or {}).get("name") or "none"] += 1
        counts[key] = dict(tally.most_common())
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "bot" / "models" / "baihua.tar.gz"))
    parser.add_argument("--per-type", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", default=str(ROOT / "var" / "bot-results" / "real_messages.json"))
    args = parser.parse_args()
    sets = {"own_letters": own_letters(), "own_hard_letters": own_letters(OWN_HARD)}
    if DATA.is_file():
        sets["real_messages"] = sample(DATA, args.per_type, args.seed)
    else:
        print(f"real messages skipped: {DATA} not found (outside eval data exists only on the team's machines)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    import structlog  # rasa logs every parse (with the message text) at debug level through structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    counts = asyncio.run(classify(args.model, sets))
    report: dict[str, Any] = {"real_source": DATA.name, "per_type": args.per_type, "seed": args.seed}
    for name, tallies in counts.items():
        report[name] = {"predicted": tallies, **shares(tallies)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
