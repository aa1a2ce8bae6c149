"""Case categories and SLAs live in YAML so editors can change them without touching code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from api.cases.departments import Directory, load_directory

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
class RequestType:
    """诉求类型 of a 12345 work order (咨询/求助/投诉/建议)."""

    code: str
    name: str


@dataclass(frozen=True)
class CaseConfig:
    categories: tuple[Category, ...]
    supervise_sla_days: int = 3
    forwarding_enabled: bool = False
    similar: SimilarityRule = field(default_factory=SimilarityRule)
    by_code: dict[str, Category] = field(default_factory=dict, compare=False, hash=False)
    departments: Directory = field(default_factory=Directory)
    request_types: tuple[RequestType, ...] = ()
    extension_max_days: int = 10  # 延期: the most working days one approved request may add

    def __post_init__(self) -> None:
        self.by_code.update({c.code: c for c in self.categories})

    def category(self, code: str) -> Category | None:
        return self.by_code.get(code)

    def request_type(self, code: str | None) -> RequestType | None:
        return next((t for t in self.request_types if t.code == code), None)


def load_config(
    path: Path | None = None, *, forwarding_enabled: bool = False, departments_file: Path | None = None
) -> CaseConfig:
    """Read and sanity-check the categories file and the department directory once at start-up, so a typo fails
    loudly there."""
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
    types = tuple(RequestType(code=str(t["code"]), name=str(t["name"])) for t in data.get("request_types") or ())
    if len({t.code for t in types}) != len(types):
        raise ValueError("request_types must have unique codes")
    return CaseConfig(
        categories=tuple(cats),
        supervise_sla_days=int(data.get("supervise_sla_days", 3)),
        forwarding_enabled=forwarding_enabled,
        similar=SimilarityRule(**{k: float(v) for k, v in (data.get("similar") or {}).items()}),
        departments=load_directory(departments_file, categories=codes),
        request_types=types,
        extension_max_days=int(data.get("extension_max_days", 10)),
    )


@lru_cache
def default_config() -> CaseConfig:
    return load_config()
