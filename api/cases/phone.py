"""Phone numbers for cases: the rule itself is civic/phone.py, which the action server uses too."""

from __future__ import annotations

from civic.phone import find_phone, mask_phone, normalize_phone

__all__ = ["find_phone", "last4", "mask_phone", "normalize_phone"]


def last4(phone: str) -> str:
    """What a citizen types to look a case up (phone_last4)."""
    return phone[-4:]
