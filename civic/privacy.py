"""Personal numbers inside what a citizen wrote: one masking rule wherever the text leaves the case system.

Found: phone numbers by the phone rule itself (civic/phone.py: mobiles, landlines with an area code, +86/0086,
spaces, dashes, brackets, full-width digits), and long numbers: 18-digit 居民身份证 numbers (the last character
may be the checksum X/x), 15-digit old ones and bank cards, contiguous or written in blocks of three or more
digits joined by a space or a dash. The checksum is not verified: a mistyped ID number is still someone's.
Masked in the shape `mask_phone` gives phones, so a citizen still recognises their own number:
13912345678 -> 139****5678, 0371-65123456 -> 0371-****3456, 110101199003071234 -> 1101**********1234.
Everything else, dates and amounts included, is left as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from civic.phone import clean, mask_phone, phone_spans

# one run of digits, or blocks of 3-8 digits joined by one space or dash; then maybe the checksum character
_LONG_NUMBER = re.compile(r"(?<!\d)(?:\d{15,}|\d{3,8}(?:[ \-]\d{3,8})+)(?:[Xx](?![A-Za-z]))?(?!\d)", re.ASCII)
_NOT_DIGIT = re.compile(r"[^0-9Xx]", re.ASCII)
MIN_LONG_DIGITS = 15  # the old ID number; 18 for today's, 16-19 for bank cards
ID_LENGTHS = (15, 18)
_KEEP = 4  # digits shown at each end of a long number
_HIDDEN = "\x00"  # stands in for a phone already found, so no long number is read across it

Kind = Literal["phone", "id", "number"]


@dataclass(frozen=True)
class Found:
    """A personal number in the original text: text[start:end] is what was typed, `value` its normalised form."""

    start: int
    end: int
    kind: Kind
    value: str


def find_personal(text: str) -> list[Found]:
    """Phones first (their rule never reads a phone out of a longer number), then long numbers, left to right."""
    s, origin = _cleaned(text)
    found: list[Found] = []
    hidden = list(s)
    for start, end, phone in phone_spans(s):
        if start > 0 and s[start - 1] == "(" and ")" in s[start:end]:
            start -= 1  # (0371)65123456: the bracket goes with its area code
        found.append(Found(origin[start], origin[end - 1] + 1, "phone", phone))
        hidden[start:end] = _HIDDEN * (end - start)
    for m in _LONG_NUMBER.finditer("".join(hidden)):
        value = _NOT_DIGIT.sub("", m.group()).upper()
        end = m.end()
        if value.endswith("X") and len(value) != ID_LENGTHS[1]:  # X closes an ID number only
            value, end = value[:-1], end - 1
        if len(value) < MIN_LONG_DIGITS:
            continue
        kind: Kind = "id" if len(value) in ID_LENGTHS else "number"
        found.append(Found(origin[m.start()], origin[end - 1] + 1, kind, value))
    return sorted(found, key=lambda f: f.start)


def mask_number(value: str) -> str:
    """1101**********1234: the first and last four digits, as long as it was."""
    if len(value) <= 2 * _KEEP:
        return "*" * len(value)
    return value[:_KEEP] + "*" * (len(value) - 2 * _KEEP) + value[-_KEEP:]


def mask_found(found: Found) -> str:
    return mask_phone(found.value) if found.kind == "phone" else mask_number(found.value)


def mask_personal(text: str) -> str:
    """The text with every phone and ID or card number masked; nothing else changes."""
    if not text:
        return text
    parts: list[str] = []
    at = 0
    for f in find_personal(text):
        parts += [text[at : f.start], mask_found(f)]
        at = f.end
    parts.append(text[at:])
    return "".join(parts)


def _cleaned(text: str) -> tuple[str, list[int]]:
    """`clean` character by character, and where each cleaned character came from (NFKC may lengthen one)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        c = clean(ch)
        chars.append(c)
        origin += [i] * len(c)
    return "".join(chars), origin
