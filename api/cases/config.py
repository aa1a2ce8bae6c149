"""Case categories and SLAs live in YAML so editors can change them without touching code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_CATEGORIES_FILE = Path(__file__).with_name("categories.yml")


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    sla_days: int
    words: tuple[str, ...] = ()  # typed as the category itself ("服务不好")
    cues: tuple[str, ...] = ()  # inside a story ("不耐烦", "当时说五个工作日")
    about: tuple[str, ...] = ()  # what such a complaint says, in a citizen's words: a story with no cue is compared


@dataclass(frozen=True)
class SimilarityRule:
    """When a story without cue words is close enough to one category's `about` lines (cosine, e5 queries)."""

    min_score: float = 1.0  # 1.0: never (no rule in the file)
    margin: float = 0.0  # over the second-closest category


@dataclass(frozen=True)
class CaseConfig:
    categories: tuple[Category, ...]
    supervise_sla_days: int = 3
    forwarding_enabled: bool = False
    similar: SimilarityRule = field(default_factory=SimilarityRule)
    by_code: dict[str, Category] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        self.by_code.update({c.code: c for c in self.categories})

    def category(self, code: str) -> Category | None:
        return self.by_code.get(code)


def load_config(path: Path | None = None, *, forwarding_enabled: bool = False) -> CaseConfig:
    """Read and sanity-check the categories file once at start-up, so a typo fails loudly there."""
    data = yaml.safe_load((path or DEFAULT_CATEGORIES_FILE).read_text(encoding="utf-8"))
    cats: list[Category] = []
    for raw in data.get("categories") or []:
        cat = Category(
            code=str(raw["code"]),
            name=str(raw["name"]),
            sla_days=int(raw["sla_days"]),
            words=tuple(str(w) for w in raw.get("words") or ()),
            cues=tuple(str(w) for w in raw.get("cues") or ()),
            about=tuple(str(w) for w in raw.get("about") or ()),
        )
        if not cat.code or not cat.name or cat.sla_days < 1:
            raise ValueError(f"bad case category: {raw!r}")
        cats.append(cat)
    codes = [c.code for c in cats]
    if not cats or len(set(codes)) != len(codes):
        raise ValueError("case categories must be a non-empty list of unique codes")
    return CaseConfig(
        categories=tuple(cats),
        supervise_sla_days=int(data.get("supervise_sla_days", 3)),
        forwarding_enabled=forwarding_enabled,
        similar=SimilarityRule(**{k: float(v) for k, v in (data.get("similar") or {}).items()}),
    )


@lru_cache
def default_config() -> CaseConfig:
    return load_config()
