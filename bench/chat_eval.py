"""`python -m bench.chat_eval [FILE] --json`: each dev question as the first turn of a new conversation, one outcome
per reply, and the issue's targets beside the figures.

Runs through the real stack (`--base`, `make run`'s gateway: Rasa, actions, search) or, with `--degraded`, the
gateway in-process with Rasa unreachable (answers from search). Lines: `{"q", "type", "expect": [ids]}`, types
guide, bundle, window (answerable), complaint, out_of_scope; default file tests/data/dev_questions.jsonl.

Outcome of one reply, exactly one, decided in this order:
- complaint_form: meta.route.kind is "complaint" (every complaint-form prompt, bot/domain/complaint.yml, carries
  it), or a button asks for a complaint category (`/inform{"complaint_category": ...}`, the form's first step).
- handoff: meta.route.kind is "handoff".
- right_answer / wrong_answer: the route names an entry (kind guide, bundle or window, with an id); right when
  the id is expected. Buttons beside an answer (the 一件事 offer, alternatives) leave it an answer.
- clarify_right / clarify_wrong: no entry in the route, but buttons whose payload JSON carries an id
  (`/choose_guide{"guide_id":"X"}`, `/show_bundle{"bundle_id":"X"}`, any `id` or `…_id` key): the reply asks the
  person to choose; right when one of the offered ids is expected.
- nothing: neither (not sure, out of scope, a greeting): the assistant abstained.
A turn the gateway did not answer (connection error, non-200) is `error`, counted beside the seven.

Right outcome per type: right_answer for guide, bundle and window; complaint_form for complaint; nothing for
out_of_scope. Targets (issue #14): over answerable lines, right_answer >= 0.85, clarify_* <= 0.10, wrong_answer
<= 0.05; over the lines that are not complaints, complaint_form <= 0.02; over complaint lines complaint_form
>= 0.90 (complaint_form or handoff beside it, no target); over out_of_scope lines nothing >= 0.90.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.evalclient import (
    DATA_DIR,
    Turn,
    add_common_args,
    is_degraded,
    latency,
    open_client,
    print_report,
    rate,
    read_jsonl,
    reply_text,
    route_of,
    run_turns,
    target,
)
from index import catalogue
from index.catalogue import Catalogue

DEFAULT_FILE = DATA_DIR / "dev_questions.jsonl"
CLASSES = ("right_answer", "clarify_right", "clarify_wrong", "wrong_answer", "complaint_form", "handoff", "nothing")
ANSWERABLE = ("guide", "bundle", "window")
TYPES = (*ANSWERABLE, "complaint", "out_of_scope")
RIGHT = {"guide": "right_answer", "bundle": "right_answer", "window": "right_answer"}
RIGHT |= {"complaint": "complaint_form", "out_of_scope": "nothing"}
ENTRY_ROUTES = frozenset({"guide", "bundle", "window"})
COMPLAINT_FORM_KEY = "complaint_category"


def payload_of(payload: str) -> tuple[str, dict[str, Any]]:
    """("choose_guide", {"guide_id": ...}) for `/choose_guide{...}`; the JSON part is {} when absent or broken."""
    text = payload.strip()
    brace = text.find("{")
    intent = (text[:brace] if brace >= 0 else text).lstrip("/").strip()
    if brace < 0:
        return intent, {}
    try:
        data = json.loads(text[brace:])
    except ValueError:
        return intent, {}
    return intent, data if isinstance(data, dict) else {}


def buttons_of(reply: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for m in reply.get("messages") or []:
        if not isinstance(m, dict):
            continue
        for b in m.get("buttons") or []:
            if isinstance(b, dict) and isinstance(b.get("payload"), str):
                out.append(payload_of(b["payload"]))
    return out


def offered_ids(reply: dict[str, Any]) -> list[str]:
    """Entry ids carried by the reply's buttons, in order, once each."""
    ids: list[str] = []
    for _, data in buttons_of(reply):
        for key, value in data.items():
            if (key == "id" or key.endswith("_id")) and isinstance(value, str) and value and value not in ids:
                ids.append(value)
    return ids


def classify(reply: dict[str, Any], expect: Sequence[str]) -> str:
    """The one outcome of a ChatReply-shaped dict for a question expecting any of `expect` (module docstring)."""
    kind, rid = route_of(reply)
    buttons = buttons_of(reply)
    if kind == "complaint" or any(COMPLAINT_FORM_KEY in data for _, data in buttons):
        return "complaint_form"
    if kind == "handoff":
        return "handoff"
    if kind in ENTRY_ROUTES and rid:
        return "right_answer" if rid in expect else "wrong_answer"
    choices = offered_ids(reply)
    if choices:
        return "clarify_right" if any(c in expect for c in choices) else "clarify_wrong"
    return "nothing"


def resolve_expected(lines: Sequence[dict[str, Any]], cat: Catalogue | None = None) -> list[dict[str, Any]]:
    """Expected ids through the catalogue: an alias entry (same_as) is answered as its canonical item."""
    cat = cat or catalogue.load()
    return [{**line, "expect": [cat.resolve(str(x)) for x in line.get("expect") or []]} for line in lines]


def outcome(line: dict[str, Any], turn: Turn) -> str:
    if turn.reply is None:
        return "error"
    return classify(turn.reply, [str(x) for x in line.get("expect") or []])


def _counts(outcomes: Sequence[str]) -> dict[str, Any]:
    c = Counter(outcomes)
    keys = (*CLASSES, "error") if c["error"] else CLASSES
    return {k: {"n": c[k], "rate": rate(c[k], len(outcomes))} for k in keys}


def summarise(lines: Sequence[dict[str, Any]], turns: Sequence[Turn], mode: str) -> dict[str, Any]:
    """Counts and rates per outcome and per type, the issue's targets, latency; no HTTP here (tests call it)."""
    outcomes = [outcome(line, turn) for line, turn in zip(lines, turns, strict=True)]
    types = [str(line.get("type", "")) for line in lines]
    by_type: dict[str, Any] = {}
    for t in [*TYPES, *sorted(set(types) - set(TYPES))]:
        picked = [o for o, tt in zip(outcomes, types, strict=True) if tt == t]
        if picked:
            right = RIGHT.get(t)
            by_type[t] = {
                "n": len(picked),
                "right": rate(sum(o == right for o in picked), len(picked)) if right else None,
                "classes": {k: v["n"] for k, v in _counts(picked).items() if v["n"]},
            }

    def share(pool: Sequence[str], wanted: Sequence[str]) -> tuple[int, int]:
        picked = [o for o, t in zip(outcomes, types, strict=True) if t in pool]
        return sum(o in wanted for o in picked), len(picked)

    right_n, answerable = share(ANSWERABLE, ["right_answer"])
    clarify_n, _ = share(ANSWERABLE, ["clarify_right", "clarify_wrong"])
    wrong_n, _ = share(ANSWERABLE, ["wrong_answer"])
    not_complaints = [t for t in {*TYPES, *types} if t != "complaint"]
    form_n, questions = share(not_complaints, ["complaint_form"])
    detected_n, complaints = share(["complaint"], ["complaint_form"])
    detected_or_handoff_n, _ = share(["complaint"], ["complaint_form", "handoff"])
    declined_n, oos = share(["out_of_scope"], ["nothing"])
    return {
        "mode": mode,
        "questions": len(lines),
        "degraded_turns": sum(is_degraded(t.reply) for t in turns),
        "classes": _counts(outcomes),
        "by_type": by_type,
        "targets": {
            "right_answer_rate": target(rate(right_n, answerable), ">=", 0.85, "answerable (guide, bundle, window)"),
            "clarification_rate": target(rate(clarify_n, answerable), "<=", 0.10, "answerable"),
            "wrong_answer_rate": target(rate(wrong_n, answerable), "<=", 0.05, "answerable"),
            "complaint_form_on_questions": target(rate(form_n, questions), "<=", 0.02, "lines that are not complaints"),
            "complaints_detected": target(rate(detected_n, complaints), ">=", 0.90, "complaint lines"),
            "complaints_detected_or_handoff": {
                "value": rate(detected_or_handoff_n, complaints),
                "target": None,
                "over": "complaint lines",
            },
            "out_of_scope_declined": target(rate(declined_n, oos), ">=", 0.90, "out_of_scope lines"),
        },
        "latency": latency(turns),
    }


def misses(lines: Sequence[dict[str, Any]], turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """The lines whose outcome is not the right one for their type, with what the reply did."""
    out = []
    for line, turn in zip(lines, turns, strict=True):
        got = outcome(line, turn)
        if got == RIGHT.get(str(line.get("type"))):
            continue
        kind, rid = route_of(turn.reply)
        out.append(
            {
                "q": line["q"],
                "type": line.get("type"),
                "expect": line.get("expect"),
                "got": got,
                "route": f"{kind}:{rid}" if rid else kind,
                "offered": offered_ids(turn.reply) if turn.reply else [],
                "error": turn.error,
                "reply": reply_text(turn.reply)[:120],
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chat_eval", description=__doc__.split("\n\n")[0])
    add_common_args(parser, DEFAULT_FILE)
    args = parser.parse_args(argv)
    lines = resolve_expected(read_jsonl(args.file)[: args.limit])
    with open_client(base=args.base, degraded=args.degraded) as client:
        turns = run_turns(client, [str(line["q"]) for line in lines], args.concurrency)
        report = summarise(lines, turns, client.mode)
        report["throttled_retries"] = client.throttled
    report = {"file": str(args.file), **report}
    print_report("chat_eval", report, as_json=args.json, misses=misses(lines, turns) if args.show_misses else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
