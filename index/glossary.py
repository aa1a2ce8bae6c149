"""The plain-word glossary: office jargon in a guide must come with its plain words in the same sentence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from index.schema import ShortText, Strict

GLOSSARY_FILE = "glossary.yml"

# Fields a citizen does not read as prose: ids and references, the phrasings people type, law names.
UNCHECKED_FIELDS = frozenset(
    {"id", "aliases", "legal_basis", "window", "bundles", "members", "channel", "form", "last_reviewed", "of", "sample"}
)
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_MASK = "\0"


class Term(Strict):
    """One piece of jargon and the plain words that make it understood."""

    term: ShortText
    plain: ShortText = Field(description="what to write instead of the term")
    also: list[ShortText] = Field(default_factory=list, description="other words that explain the term in place")
    keep: list[ShortText] = Field(default_factory=list, description="official names holding the term, left as is")

    @model_validator(mode="after")
    def keep_holds_term(self) -> Term:
        for name in self.keep:
            if self.term not in name:
                raise ValueError(f"keep '{name}' does not contain the term '{self.term}'")
        return self

    def explained_in(self, sentence: str) -> bool:
        return any(w in sentence for w in (self.plain, *self.also))


class Glossary(Strict):
    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def one_entry_per_term(self) -> Glossary:
        seen: set[str] = set()
        for t in self.terms:
            if t.term in seen:
                raise ValueError(f"term '{t.term}' is listed twice")
            seen.add(t.term)
        return self


@dataclass(frozen=True)
class Problem:
    """A problem found in one file, before the catalogue turns it into a GuideError."""

    file: str
    field: str
    message: str


def read(guides_dir: Path) -> tuple[Glossary | None, list[Problem]]:
    """The glossary of a guides folder; none (and nothing to check) when the folder has no glossary file."""
    path = guides_dir / GLOSSARY_FILE
    if not path.is_file():
        return None, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [Problem(GLOSSARY_FILE, "", f"unreadable: {exc}")]
    try:
        return Glossary.model_validate(data), []
    except ValidationError as exc:
        return None, [
            Problem(GLOSSARY_FILE, ".".join(str(p) for p in e["loc"]) or "(file)", e["msg"]) for e in exc.errors()
        ]


def texts(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (field path, text) a citizen reads in a dumped entry."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if key not in UNCHECKED_FIELDS:
                yield from texts(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from texts(value, f"{path}.{i}")


def unexplained(glossary: Glossary, text: str) -> list[Term]:
    """The terms a text uses in some sentence without their plain words, longest term first."""
    terms = sorted(glossary.terms, key=lambda t: len(t.term), reverse=True)
    keep = sorted((k for t in terms for k in t.keep), key=len, reverse=True)
    found: list[Term] = []
    for sentence in _SENTENCE_END.split(text):
        masked = sentence
        for name in keep:
            masked = masked.replace(name, _MASK * len(name))
        for t in terms:
            if t.term not in masked:
                continue
            # a longer term found first (容缺受理) hides the shorter one inside it (受理)
            masked = masked.replace(t.term, _MASK * len(t.term))
            if not t.explained_in(sentence) and t not in found:
                found.append(t)
    return found


def check(glossary: Glossary, entries: Iterable[tuple[str, BaseModel]]) -> list[Problem]:
    """Every citizen-facing field of the given (file, entry) pairs that uses jargon unexplained."""
    problems: list[Problem] = []
    for file, entry in entries:
        for field, text in texts(entry.model_dump(mode="json")):
            for t in unexplained(glossary, text):
                problems.append(
                    Problem(file, field, f"jargon '{t.term}': write '{t.plain}', or explain it in the same sentence")
                )
    return problems
