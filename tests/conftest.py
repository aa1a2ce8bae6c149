"""Shared fixtures: paths, the skip rule for outside data, the model and one index of the real guides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # tests/bot runs in .venv-rasa, which has none of these: import them lazily
    from index.catalogue import Catalogue
    from index.embed import Encoder
    from index.search import Searcher

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


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    from index import model
    from index.embed import load_encoder

    if not model.is_converted():
        model.convert()
    if not model.has_onnx():
        model.export_onnx()
    return load_encoder()


@pytest.fixture(scope="session")
def cat() -> Catalogue:
    from index import catalogue

    return catalogue.load()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, cat: Catalogue, encoder: Encoder) -> Path:
    from index.build import build

    out = tmp_path_factory.mktemp("idx") / "index"
    build(cat, out, encoder, quiet=True)
    return out


@pytest.fixture(scope="session")
def searcher(index_dir: Path, encoder: Encoder) -> Iterator[Searcher]:
    from index.search import Searcher

    yield Searcher(index_dir, encoder)
