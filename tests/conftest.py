"""Shared fixtures: paths, and the skip rule for data that lives outside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL_REAL = SHARED / "eval" / "real"


def need_shared_eval() -> Path:
    """../shared/eval/real is the outside eval data; a user's machine does not have it."""
    if not EVAL_REAL.is_dir():
        pytest.skip(f"{EVAL_REAL} not found: outside eval data is only on the team's machines")
    return EVAL_REAL


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
