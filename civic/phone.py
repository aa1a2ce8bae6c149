"""Phone numbers: one rule for the bot and the case API, so a number the bot accepts is never refused when filed.

Accepted: mainland mobiles (1[3-9] and 9 more digits) with an optional +86 / 0086 / 86 prefix, and landlines
with an area code (010, 02x, or 0[3-9]xx; the local number has 7-8 digits and starts with 2-9), written with
spaces, dashes or brackets, in full-width or half-width characters (NFKC first).
Stored: `13812345678` or `0371-65123456`.
Refused: extensions (`0371-65123456-801`, `…转801`): the case is called back on a direct line and the
citizen's lookup asks for the last four digits of the number, which an extension would make ambiguous.
In free text `find_phone` keeps the direct line of "0371-65123456转801" but not of "0371-65123456-801",
which reads like one longer number, so the citizen is asked again. Also refused: 400/800 and 95xxx service
numbers, which are not a citizen's own phone.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
# Area codes: 010 and 02x have three digits, all others (03xx–09xx) four, so the split is never ambiguous;
# local numbers never start with 0 or 1.
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})", re.ASCII)
# NFKC already turns full-width digits, ＋, －, （）and the ideographic space into ASCII; these dashes it keeps
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_DASH_TO_HYPHEN = str.maketrans(dict.fromkeys(_DASHES, "-"))
_SEPARATORS = re.compile(r"[\s\-()]", re.ASCII)
# in free text: digit groups joined by at most three spaces, dashes or brackets (not newlines)
_GROUP = re.compile(r"\d+", re.ASCII)  # not other scripts' digits
_JOIN = re.compile(r"[ \t\-()]{1,3}")
_MOST_GROUPS = 6  # +86 (0)371 6512 3456 has five
_MOST_DIGITS = 16  # 0086 (0)371 6512 3456
_LONG_GROUP = 3  # a neighbouring group this long, joined the way the candidate's groups are, is part of it


def clean(text: str) -> str:
    """Full-width input (１３８－…) reads like half-width, and every dash like a hyphen."""
    return unicodedata.normalize("NFKC", text or "").translate(_DASH_TO_HYPHEN)


def normalize_phone(text: str) -> str | None:
    """`13812345678` or `0371-65123456`; None unless the whole text is one mainland mobile or landline."""
    s = _SEPARATORS.sub("", clean(text))
    international = False
    if s.startswith("+86"):
        s, international = s[3:], True
    elif s.startswith("0086"):
        s, international = s[4:], True
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE.fullmatch(s):
        return s
    if international and not s.startswith("0"):
        s = "0" + s  # +86 10 12345678: abroad the trunk 0 of the area code is dropped
    landline = _LANDLINE.fullmatch(s)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    return None


def find_phone(text: str) -> str | None:
    """The first phone number inside free text ("我电话是138 1234 5678，白天打"), normalised; None when there is none.

    A number is a run of digit groups joined by spaces, dashes or brackets. Groups are never cut, so an ID
    number or an amount never yields the 11 digits inside it; a group of three or more digits joined to a
    candidate the way the candidate's own groups are joined (a bank card or an ID written in blocks) spoils it,
    and so do ASCII letters glued to either end (an order number).
    """
    return next((phone for _, _, phone in phone_spans(clean(text))), None)


def phone_spans(s: str) -> Iterator[tuple[int, int, str]]:
    """Every phone number in cleaned text (`clean`), left to right, as (start, end, normalised): `find_phone`'s rule."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(s)]
    # joins[i] links groups[i] and groups[i + 1]; None where the text between them is not a separator
    joins: list[str | None] = [
        (between.strip() or " ") if _JOIN.fullmatch(between) else None
        for between in (s[a[1] : b[0]] for a, b in itertools.pairwise(groups))
    ]
    first = 0
    while first < len(groups):
        found = _phone_from(s, groups, joins, first)
        if found is None:
            first += 1
            continue
        last, start, end, phone = found
        yield start, end, phone
        first = last + 1


def _phone_from(
    s: str, groups: list[tuple[int, int]], joins: list[str | None], first: int
) -> tuple[int, int, int, str] | None:
    """The shortest phone that starts at groups[first]: (its last group, start, end, normalised)."""
    for last in range(first, min(first + _MOST_GROUPS, len(groups))):
        if last > first and joins[last - 1] is None:
            break
        start, end = groups[first][0], groups[last][1]
        if sum(b - a for a, b in groups[first : last + 1]) > _MOST_DIGITS:
            break
        inner = set(joins[first:last])
        spoiled = (first > 0 and _continues(joins[first - 1], groups[first - 1], inner)) or (
            last + 1 < len(groups) and _continues(joins[last], groups[last + 1], inner)
        )
        if spoiled or _glued(s, start, end):
            continue
        if start > 0 and s[start - 1] == "+":
            start -= 1
        phone = normalize_phone(s[start:end])
        if phone is not None:
            return last, start, end, phone
    return None


def _continues(join: str | None, neighbour: tuple[int, int], inner: set[str | None]) -> bool:
    """A long group joined like the candidate's own groups means the candidate is a piece of a longer number."""
    return join is not None and join in inner and neighbour[1] - neighbour[0] >= _LONG_GROUP


def _glued(s: str, start: int, end: int) -> bool:
    """Latin letters touching the digits make a code (A13812345678B), not a phone; Chinese words may touch."""
    before = s[start - 1] if start > 0 else ""
    after = s[end] if end < len(s) else ""
    return any(ch.isascii() and ch.isalpha() for ch in (before, after))


def mask_phone(phone: str) -> str:
    """138****5678 / 0371-****5678: enough for a person to recognise their own number."""
    if "-" in phone:
        area, local = phone.split("-", 1)
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    if len(phone) >= 7:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)
