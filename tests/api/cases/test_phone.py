"""What people type as a phone number, what we store, and what we show."""

from __future__ import annotations

import pytest

from api.cases.phone import mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0371-61234567", "0371-61234567"),
        ("037161234567", "0371-61234567"),
        ("010 6123 4567", "010-61234567"),
        ("(0371)6123456", "0371-6123456"),
    ],
)
def test_accepted(raw: str, stored: str) -> None:
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize(
    "raw", ["", "123", "12812345678", "1381234567", "138123456789", "abc", "12345", "0371-0123456", "13812345678x"]
)
def test_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0371-61234567") == "0371-****4567"
    assert mask_phone("010-6123456") == "010-***3456"
