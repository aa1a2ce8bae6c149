"""A writable copy of the guides, for the catalogue and glossary check tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture
def guides(tmp_path: Path) -> Path:
    dst = tmp_path / "guides"
    shutil.copytree(ROOT / "guides", dst)
    return dst
