"""Which 有诉即办 category a citizen's words are: a typed category ("服务不好") or a story's cues.

The words and cues are content (api/cases/categories.yml); one place decides, for the bot and any client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from api.cases.config import CaseConfig, Category
from index import text as text_mod

Words = Callable[[Category], tuple[str, ...]]
Via = Literal["code", "name", "words", "cues"]


@dataclass(frozen=True)
class Inferred:
    category: Category
    via: Via
    hits: int = 1


def _norm(value: str) -> str:
    return text_mod.strip_punct(text_mod.normalize(value or "")).replace(" ", "")


def typed(value: str, config: CaseConfig) -> Inferred | None:
    """A category given as an answer: its code (a button), its name, or one of its words, inside short text."""
    raw = (value or "").strip()
    if config.category(raw) is not None:
        return Inferred(config.by_code[raw], "code")
    norm = _norm(raw)
    if not norm:
        return None
    for c in config.categories:
        name = _norm(c.name)
        if name and (name in norm or (len(norm) >= 2 and norm in name)):
            return Inferred(c, "name")
    best = _most(norm, config, lambda c: c.words)
    return Inferred(best[0], "words", best[1]) if best else None


def from_story(story: str, config: CaseConfig) -> Inferred | None:
    """The category a story tells by its cue words (most cues wins, the file's order on a tie), else None."""
    norm = _norm(story)
    best = _most(norm, config, lambda c: (*c.cues, *c.words))
    return Inferred(best[0], "cues", best[1]) if best else None


@functools.lru_cache(maxsize=256)
def _normalised(words: tuple[str, ...]) -> tuple[str, ...]:
    """A category's words as matched: normalised once per word list, not on every message."""
    return tuple(n for n in (_norm(w) for w in words) if n)


def _most(norm: str, config: CaseConfig, words_of: Words) -> tuple[Category, int] | None:
    best: tuple[Category, int] | None = None
    for c in config.categories:
        hits = sum(1 for w in _normalised(words_of(c)) if w in norm)
        if hits and (best is None or hits > best[1]):
            best = (c, hits)
    return best
