"""Phone numbers: accept what people type, store one normal form, never show it whole."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 02x have three digits, all others (03xx–09xx) four; local numbers never start with 0 or 1.
_LANDLINE = re.compile(r"^(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_phone(raw: str) -> str | None:
    """Return `13812345678` or `0371-61234567`, or None when it is neither a mainland mobile nor a landline."""
    s = _SEPARATORS.sub("", raw.strip())
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE.match(s):
        return s
    m = _LANDLINE.match(s)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    return None


def mask_phone(phone: str) -> str:
    """138****5678 / 0371-****5678: enough for a person to recognise their own number."""
    if "-" in phone:
        area, local = phone.split("-", 1)
        return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    if len(phone) >= 7:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    return "*" * len(phone)


def last4(phone: str) -> str:
    return phone[-4:]
