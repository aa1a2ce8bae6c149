"""Which 有诉即办 category a citizen's words are: a typed category ("服务不好"), a story's cues, or the category a
story without cues is closest to.

The words, cues and `about` lines are content (api/cases/categories.yml); one place decides, for the bot and any
client. Cue words are precise but miss most stories told in other words ("她瞪了我一眼说看不懂就别来"); those are
compared with each category's `about` lines through the search model, and take a category only when it is clearly
the closest (the rule's thresholds are in the same file, measured by `python -m bench.category_eval`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from api.cases.config import CaseConfig, Category
from index import text as text_mod
from index.cues import COMPLAINT_ENTRIES
from index.search import Hit, Searcher

Words = Callable[[Category], tuple[str, ...]]
Encode = Callable[[list[str]], np.ndarray]  # texts -> L2-normalised rows (index Encoder.encode_queries)
Via = Literal["code", "name", "words", "cues", "similar"]
ENTRY_KINDS = frozenset({"item", "window"})  # a bundle is many errands: the case names one
ERRAND_CANDIDATES = 4
ERRAND_MARGIN = 0.005  # the errand must lead the next entry by this much (fused scores), else the form asks


@dataclass(frozen=True)
class Inferred:
    category: Category
    via: Via
    hits: int = 1
    score: float | None = None  # the cosine, for via == "similar"


class Similarity:
    """Each category's `about` lines as vectors, encoded once; a story is scored by its closest line per category."""

    def __init__(self, config: CaseConfig, encode: Encode) -> None:
        lines = [(c.code, text_mod.normalize(a)) for c in config.categories for a in c.about]
        self.config = config
        self.encode = encode
        self.codes = sorted({code for code, _ in lines})
        self._owner = np.asarray([self.codes.index(code) for code, _ in lines], dtype=np.int64)
        self._vectors = encode([t for _, t in lines]) if lines else np.zeros((0, 1), dtype=np.float32)

    def scores(self, story: str) -> dict[str, float]:
        """The story's cosine with its closest `about` line of every category that has lines."""
        if not self.codes:
            return {}
        sims = self._vectors @ self.encode([text_mod.normalize(story)])[0]
        best = np.full(len(self.codes), -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims)
        return {code: float(best[i]) for i, code in enumerate(self.codes)}

    def closest(self, story: str, *, min_score: float | None = None, margin: float | None = None) -> Inferred | None:
        """The category the story is clearly closest to under the file's rule (or the thresholds given), else None."""
        ranked = sorted(self.scores(story).items(), key=lambda kv: -kv[1])
        if not ranked:
            return None
        rule = self.config.similar
        floor = rule.min_score if min_score is None else min_score
        ahead = rule.margin if margin is None else margin
        (code, top), second = ranked[0], (ranked[1][1] if len(ranked) > 1 else -1.0)
        if top < floor or top - second < ahead:
            return None
        return Inferred(self.config.by_code[code], "similar", 0, round(top, 4))


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


def from_story(story: str, config: CaseConfig, similarity: Similarity | None = None) -> Inferred | None:
    """The category a story tells by its cue words (most cues wins, the file's order on a tie); without cues, the
    category it is clearly closest to when a `similarity` is given; else None (the form asks)."""
    norm = _norm(story)
    best = _most(norm, config, lambda c: (*c.cues, *c.words))
    if best:
        return Inferred(best[0], "cues", best[1])
    return similarity.closest(story) if similarity is not None and norm else None


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


def errand(searcher: Searcher, story: str) -> Hit | None:
    """The item or window a story is about, when search is sure of it and no close second competes ("营业执照":
    企业 or 个体户? the form asks). The complaint guide itself is never the errand: a story's grievance words rank it
    first ("…一个月了还没消息"), so the errand is the next hit."""
    result = searcher.search(story, k=ERRAND_CANDIDATES)
    if not result.confident:
        return None
    hits = [h for h in result.hits if h.id not in COMPLAINT_ENTRIES]
    if not hits or hits[0].kind not in ENTRY_KINDS:
        return None
    if len(hits) > 1 and hits[0].score - hits[1].score < ERRAND_MARGIN:
        return None
    return hits[0]
