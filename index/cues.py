"""Words that say what kind of answer a person wants: a whole 一件事, a window, or a complaint; and words that list
several steps."""

from __future__ import annotations

import functools
import re

import yaml

from index.paths import CUES_FILE

COMPLAINT_ENTRIES = frozenset({"complaint-cannot-get-done"})
# Guides whose subject is itself a grievance to report: a message that finds one of them first and tells a grievance
# ("单位拖欠工资半年") is a complaint to file, not a question about how to report
GRIEVANCE_ENTRIES = COMPLAINT_ENTRIES | {"wage-arrears-complaint"}


@functools.cache
def _cues() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    return {kind: tuple(words) for kind, words in data.items()}


NOT_CUE = "not_cue"
NOT_QUESTION = "not_question"
MIN_ACT_CHARS = 12  # the bot's intent guard reads `act` from this length too (MIN_RESCUE_CHARS)
QUESTION_END = "question_end"  # a spoken yes/no question's last word: matched at the end only, not as a kind
_TRAILING = re.compile(r"[\s\W_]+$")


def ends_asking(normalised_query: str) -> bool:
    """The query, closing punctuation and spaces left out, ends in a yes/no question's last word ("周六上班不",
    "关门了没有"); the bot's intent guard reads the same `question_end` list."""
    return _TRAILING.sub("", normalised_query).endswith(_cues().get(QUESTION_END, ()))


def detect(normalised_query: str) -> frozenset[str]:
    """The kinds whose cue words occur in the query, once the `not_cue` words are taken out."""
    table = _cues()
    q = normalised_query
    for w in table.get(NOT_CUE, ()):
        q = q.replace(w, " ")
    return frozenset(
        kind
        for kind, words in table.items()
        if kind not in (NOT_CUE, NOT_QUESTION, QUESTION_END) and any(w in q for w in words)
    )


def is_grievance(normalised_query: str, top_id: str | None, *, wanted_nothing: bool = True) -> bool:
    """A grievance told, nothing asked: the words alone, or the words and the first search hit together.

    The same evidence as the bot's intent guard (bot/addons/intent_guard.py), so the degraded path and the full
    path agree. A question mark that is rhetorical (`rhetorical`: "这不是刁难人吗", "怎么回事") asks nothing.
    - a request that someone act (`act`: "能不能派人来处理", "供电所管不管"), asked or not, 咨询 or not;
    - a strong complaint word (`complaint`) and nothing asked, whatever search found or field the words name
      ("材料都齐了还说缺东西…这不是刁难人吗" names materials and is still a grievance);
    - not when the writer says they ask (`consult`: "想咨询一下") and no strong complaint word is there;
    - no specific field asked (`wanted_nothing`), a grievance guide first and a complaint or grievance word, nothing
      asked ("单位拖欠工资半年" → the wage-arrears guide; "拖欠工资怎么投诉" asks how and gets that guide).
    """
    kinds = detect(normalised_query)
    if "act" in kinds and len(normalised_query) >= MIN_ACT_CHARS:
        return True  # "想咨询一下，楼上漏水物业不管，能不能派人来处理？" asks someone to act, whatever else it asks
    plain = normalised_query
    for w in _cues().get(NOT_QUESTION, ()):  # "来了好几次" asks nothing
        plain = plain.replace(w, " ")
    asks = ("question" in detect(plain) or ends_asking(plain)) and "rhetorical" not in kinds
    if asks:
        return False
    if "complaint" in kinds:
        return True
    if "consult" in kinds:  # "想咨询一下…": the writer says they ask, whatever grievance words are around it
        return False
    return wanted_nothing and top_id in GRIEVANCE_ENTRIES and "grievance" in kinds
