"""`python -m bench.precision_eval [FILE] --json`: does the FIRST reply to a specific question carry the fact asked?

Lines: `{"q": "补办身份证要多少钱", "id": "id-card-lost", "field": "fee"}`, optionally `"part": n` (which clause of a
long text, 1-based) and `"style": "followup"` (a question that names its entry but reads like a follow-up, e.g.
"结婚登记在几楼"). The fact is read from guides/ when the run starts (`index.catalogue.load()`), so content edits
flow through. The reply is the text of all messages of the reply to the first turn of a new conversation,
joined; guide cards do not count (a miss whose fact is only in the card is counted as `in_card_only`).

Salient part of each field (what must appear; both sides normalised as `bench.evalclient.normalise`: full-width to
half-width, lower case, no spaces, punctuation or symbols):
- `fee`, `time_limit`: the first number with its unit ("40元", "20个工作日", "1—3天"); without one, the first
  clause ("免费", "即办").
- `where`: the first clause of the window's floor AND of its counters ("一楼西区" and "20—28号窗口"); an item or a
  bundle uses its window, a window itself.
- `online`: the first clause of the name of any one online channel.
- `materials`: the first clause of the first material's name (a bundle: its merged one-table list).
- `who`: the first age in an item's audience ("80周岁"), else its text as below.
- `faq:<n>`: the answer of the entry's n-th FAQ (1-based); `site:<path>`: a field of
  guides/site.yml (`hours.weekdays`, `hours.extended`, `hours.weekend`, `address`, `hotline`, `transport`,
  `parking`, `web_portal`, `name`; `appointment` means any one appointment channel's name). For these texts:
  clauses from `part` (default 1) taken until they hold at least 6 characters, or the whole text when shorter.
Clauses are split at 。，；！？ (and their half-width forms), brackets and line breaks — never at 、 or a colon, so
"公交3路、15路" and "9:00" stay whole.

Figures: `rate` over valid lines (target >= 0.90), per field family (fee, time_limit, where, online, materials,
who, faq, site) and per style; `rate_on_entry` also needs meta.route.id to be the line's entry (site lines: the
fact only), so a generic fact such as "免费" from the wrong guide does not count. Lines whose entry or field does not
exist in the guides are listed under `invalid` and left out of the rates.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.evalclient import (
    DATA_DIR,
    Turn,
    add_common_args,
    card_text,
    is_degraded,
    latency,
    normalise,
    open_client,
    print_report,
    rate,
    read_jsonl,
    reply_text,
    route_of,
    run_turns,
    target,
)
from index.catalogue import Catalogue
from index.schema import Bundle, Item, Online, Window

DEFAULT_FILE = DATA_DIR / "precision_questions.jsonl"
TARGET = 0.90
MIN_SALIENT_CHARS = 6
FIELDS = ("fee", "time_limit", "where", "online", "materials", "who", "faq", "site")
_CLAUSE_SPLIT = re.compile(r"[。，；！？,;!?（）()【】\n]+")
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:\.\d+)?(?:\s*[—–\-~～至到]\s*\d+(?:\.\d+)?)?\s*"
    r"(?:个工作日|工作日|个月|小时|分钟|周岁|平方米|元|日|天|年|月|岁|吨|%)"
)


_AGE = re.compile(r"\d+\s*(?:周岁|岁)")


class InvalidLine(ValueError):
    """The line names an entry, field, FAQ or site path the guides do not have."""


@dataclass(frozen=True)
class Fact:
    """What must appear: any one option, each option a tuple of normalised parts that must all appear."""

    options: tuple[tuple[str, ...], ...]
    shown: str  # the expected text as the guide has it, for --show-misses

    def found_in(self, text: str) -> bool:
        norm = normalise(text)
        return any(all(p in norm for p in option) for option in self.options)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if normalise(c)]


def first_clause(text: str) -> str:
    found = clauses(text)
    return found[0] if found else text.strip()


def salient_text(text: str, part: int = 1) -> str:
    """Clauses from the `part`-th on, until they hold MIN_SALIENT_CHARS characters (all of them when fewer)."""
    found = clauses(text)
    if not found:
        return text.strip()
    if not 1 <= part <= len(found):
        raise InvalidLine(f"part {part}: the text has {len(found)} clauses")
    taken: list[str] = []
    for c in found[part - 1 :]:
        taken.append(c)
        if len(normalise("".join(taken))) >= MIN_SALIENT_CHARS:
            break
    return "，".join(taken)


def salient_amount(text: str) -> str:
    """The first number with its unit, else the first clause: what a fee or a time limit comes down to."""
    m = _NUMBER_WITH_UNIT.search(text)
    return m.group(0) if m else first_clause(text)


def _fact(*parts: str) -> Fact:
    return Fact(options=(tuple(normalise(p) for p in parts),), shown=" + ".join(parts))


def _any_of(names: Sequence[str]) -> Fact:
    if not names:
        raise InvalidLine("the entry has no online channel")
    shown = [first_clause(n) for n in names]
    return Fact(options=tuple((normalise(n),) for n in shown), shown=" | ".join(shown))


def _entry_fact(cat: Catalogue, entry: Item | Bundle | Window, field: str, part: int) -> Fact:
    if field.startswith("faq:"):
        try:
            n = int(field.removeprefix("faq:"))
        except ValueError as exc:
            raise InvalidLine(f"{field}: want faq:<n>") from exc
        if not 1 <= n <= len(entry.faqs):
            raise InvalidLine(f"{field}: {entry.id} has {len(entry.faqs)} FAQs")
        return _fact(salient_text(entry.faqs[n - 1].a, part))
    if field == "where":
        window = entry if isinstance(entry, Window) else cat.windows.get(entry.window)
        if window is None:
            raise InvalidLine(f"{entry.id}: its window is not in guides/windows")
        return _fact(first_clause(window.location.floor), first_clause(window.location.counters))
    if isinstance(entry, Window):
        raise InvalidLine(f"{field}: a window has only where and faq:<n>")
    if field == "time_limit":
        return _fact(salient_amount(entry.time_limit))
    if field == "online":
        return _any_of([o.name for o in entry.online])
    if field == "materials":
        first = entry.materials[0].name if isinstance(entry, Item) else cat.merged_materials(entry.id)[0].name
        return _fact(first_clause(first))
    if not isinstance(entry, Item):
        raise InvalidLine(f"{field}: a bundle has no {field}")
    if field == "fee":
        return _fact(salient_amount(entry.fee))
    if field == "who":
        age = _AGE.search(entry.audience)  # "年满80周岁": the age is what decides
        return _fact(age.group(0) if age else salient_text(entry.audience, part))
    raise InvalidLine(f"unknown field {field}")


def _site_fact(cat: Catalogue, path: str, part: int) -> Fact:
    value: Any = cat.site
    for key in path.split("."):
        if not key or not hasattr(value, key) or key.startswith("_"):
            raise InvalidLine(f"site:{path}: guides/site.yml has no {key or '(empty)'}")
        value = getattr(value, key)
    if isinstance(value, list) and all(isinstance(v, Online) for v in value):
        return _any_of([v.name for v in value])
    if value is None:
        raise InvalidLine(f"site:{path}: empty in guides/site.yml")
    if not isinstance(value, str):
        raise InvalidLine(f"site:{path}: not a text (pick a field under it)")
    return _fact(salient_text(value, part))


def expected_fact(cat: Catalogue, line: dict[str, Any]) -> Fact:
    """The fact one dev line asks for, read from the guides now; InvalidLine when the guides do not have it."""
    field = str(line.get("field") or "")
    part = line.get("part", 1)
    if not isinstance(part, int):
        raise InvalidLine("part must be an integer")
    if field.startswith("site:"):
        return _site_fact(cat, field.removeprefix("site:"), part)
    entry = cat.get(str(line.get("id") or ""))
    if entry is None:
        raise InvalidLine(f"no entry {line.get('id')!r}")
    return _entry_fact(cat, entry, field, part)


def family(field: str) -> str:
    """faq:3 -> faq, site:hours.weekend -> site; the rest as they are."""
    return field.split(":", 1)[0]


@dataclass(frozen=True)
class Checked:
    line: dict[str, Any]
    fact: Fact | None
    invalid: str | None
    found: bool
    on_entry: bool
    in_card_only: bool


def check(line: dict[str, Any], fact: Fact, turn: Turn) -> Checked:
    """Whether the reply's text carries the fact, and whether the reply was about the line's entry."""
    found = turn.reply is not None and fact.found_in(reply_text(turn.reply))
    _, rid = route_of(turn.reply)
    site = str(line.get("field", "")).startswith("site:")
    on_entry = found and (site or rid == line.get("id"))
    in_card = not found and turn.reply is not None and fact.found_in(card_text(turn.reply))
    return Checked(line, fact, None, found, on_entry, in_card)


def prepare(cat: Catalogue, lines: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], Fact | None, str | None]]:
    out: list[tuple[dict[str, Any], Fact | None, str | None]] = []
    for line in lines:
        if line.get("id"):  # an alias id (same_as) is answered as its canonical entry
            line = {**line, "id": cat.resolve(str(line["id"]))}
        try:
            out.append((line, expected_fact(cat, line), None))
        except InvalidLine as exc:
            out.append((line, None, str(exc)))
    return out


def summarise(checked: Sequence[Checked], turns: Sequence[Turn], mode: str) -> dict[str, Any]:
    valid = [c for c in checked if c.fact is not None]

    def group(key: str, name_of: Any) -> dict[str, Any]:
        names = sorted({name_of(c.line) for c in valid}, key=lambda n: (FIELDS.index(n) if n in FIELDS else 99, n))
        out = {}
        for name in names:
            picked = [c for c in valid if name_of(c.line) == name]
            out[name] = {
                "n": len(picked),
                "rate": rate(sum(c.found for c in picked), len(picked)),
                "rate_on_entry": rate(sum(c.on_entry for c in picked), len(picked)),
            }
        return out

    found = sum(c.found for c in valid)
    return {
        "mode": mode,
        "lines": len(checked),
        "valid": len(valid),
        "entries": len({c.line.get("id") for c in valid if not str(c.line.get("field", "")).startswith("site:")}),
        "degraded_turns": sum(is_degraded(t.reply) for t in turns),
        "errors": sum(t.reply is None for t in turns),
        "rate": target(rate(found, len(valid)), ">=", TARGET, "valid lines"),
        "rate_on_entry": rate(sum(c.on_entry for c in valid), len(valid)),
        "in_card_only": sum(c.in_card_only for c in valid),
        "by_field": group("field", lambda line: family(str(line.get("field", "")))),
        "by_style": group("style", lambda line: str(line.get("style", "plain"))),
        "invalid": [{"q": c.line["q"], "problem": c.invalid} for c in checked if c.fact is None],
        "latency": latency(turns),
    }


def misses(checked: Sequence[Checked], turns: Sequence[Turn]) -> list[dict[str, Any]]:
    out = []
    for c, turn in zip(checked, turns, strict=True):
        if c.fact is None or c.found:
            continue
        kind, rid = route_of(turn.reply)
        out.append(
            {
                "q": c.line["q"],
                "id": c.line.get("id"),
                "field": c.line.get("field"),
                "expected": c.fact.shown,
                "route": f"{kind}:{rid}" if rid else kind,
                "in_card_only": c.in_card_only,
                "error": turn.error,
                "reply": reply_text(turn.reply)[:160],
            }
        )
    return out


def evaluate(cat: Catalogue, lines: Sequence[dict[str, Any]], turns: Sequence[Turn]) -> list[Checked]:
    """Each line's reply checked against its fact; invalid lines come back with `invalid` set."""
    out = []
    for (line, fact, problem), turn in zip(prepare(cat, lines), turns, strict=True):
        if fact is None:
            out.append(Checked(line, None, problem, False, False, False))
        else:
            out.append(check(line, fact, turn))
    return out


def main(argv: list[str] | None = None) -> int:
    from index import catalogue

    parser = argparse.ArgumentParser(prog="python -m bench.precision_eval", description=__doc__.split("\n\n")[0])
    add_common_args(parser, DEFAULT_FILE)
    args = parser.parse_args(argv)
    lines = read_jsonl(args.file)[: args.limit]
    cat = catalogue.load()
    with open_client(base=args.base, degraded=args.degraded) as client:
        turns = run_turns(client, [str(line["q"]) for line in lines], args.concurrency)
        mode, throttled = client.mode, client.throttled
    checked = evaluate(cat, lines, turns)
    report = {"file": str(args.file), **summarise(checked, turns, mode), "throttled_retries": throttled}
    print_report(
        "precision_eval", report, as_json=args.json, misses=misses(checked, turns) if args.show_misses else None
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
