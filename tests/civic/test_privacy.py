"""The shared masking rule (civic/privacy.py) in .venv; tests/bot/test_phone_contract.py runs it in .venv-rasa."""

from __future__ import annotations

import pytest

from civic.privacy import find_personal, mask_number, mask_personal
from tests.civic.cases import FOUND, MASKED


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_masked(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


@pytest.mark.parametrize(("text", "phone"), FOUND)
def test_every_phone_the_form_takes_is_masked(text: str, phone: str | None) -> None:
    if phone is not None:
        assert phone not in mask_personal(text).replace(" ", "").replace("-", "")


def test_kinds_and_spans_point_at_what_was_typed() -> None:
    text = "身份证 410105 1990 0101 123X，卡号6222021234567890123，电话（0371）6512 3456"
    found = find_personal(text)
    assert [(f.kind, f.value) for f in found] == [
        ("id", "41010519900101123X"),
        ("number", "6222021234567890123"),
        ("phone", "0371-65123456"),
    ]
    assert [text[f.start : f.end] for f in found] == [
        "410105 1990 0101 123X",
        "6222021234567890123",
        "（0371）6512 3456",
    ]


def test_mask_number_keeps_the_length() -> None:
    assert mask_number("110101199003071234") == "1101**********1234"
    assert mask_number("12345678") == "********"
