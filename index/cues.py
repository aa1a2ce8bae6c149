"""Words that say what kind of answer a person wants: a whole 一件事, a window, or a complaint."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

CUES_FILE = Path(__file__).resolve().parent.parent / "guides" / "cues.yml"
COMPLAINT_ENTRIES = frozenset({"complaint-cannot-get-done"})


@functools.cache
def _cues() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    return {kind: tuple(words) for kind, words in data.items()}


def detect(normalised_query: str) -> frozenset[str]:
    """The kinds whose cue words occur in the query."""
    return frozenset(kind for kind, words in _cues().items() if any(w in normalised_query for w in words))
