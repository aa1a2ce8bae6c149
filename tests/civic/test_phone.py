"""The shared phone rule (civic/phone.py) in .venv; tests/bot/test_phone_contract.py runs the table in .venv-rasa."""

from __future__ import annotations

import pytest

from civic.phone import find_phone, mask_phone, normalize_phone
from tests.civic.cases import FOUND, NORMALIZED, REFUSED


@pytest.mark.parametrize(("raw", "stored"), NORMALIZED)
def test_accepted(raw: str, stored: str) -> None:
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", REFUSED)
def test_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(("text", "phone"), FOUND)
def test_found_in_free_text(text: str, phone: str | None) -> None:
    assert find_phone(text) == phone


@pytest.mark.parametrize(("raw", "stored"), NORMALIZED)
def test_a_bare_number_is_found_as_itself(raw: str, stored: str) -> None:
    assert find_phone(raw) == stored


def test_stored_forms_are_fixed_points() -> None:
    for _, stored in NORMALIZED:
        assert normalize_phone(stored) == stored


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0371-61234567") == "0371-****4567"
    assert mask_phone("010-6123456") == "010-***3456"
    assert mask_phone("") == ""
