"""The controlled vocabulary of document names: one name per document, whose it is in a separate `of:`."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from index.glossary import Problem
from index.schema import ShortText, Strict

DOCUMENTS_FILE = "documents.yml"
APPLICANT = "申请人"


class Document(Strict):
    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list, description="other names of it; never a material's name")


class Vocabulary(Strict):
    """guides/documents.yml: the persons a document may belong to and the common documents."""

    persons: list[ShortText] = Field(min_length=1)
    documents: list[Document] = Field(min_length=1)
    _names: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def one_meaning_per_name(self) -> Vocabulary:
        seen: dict[str, str] = {}
        for d in self.documents:
            for word in (d.name, *d.aliases):
                if word in seen:
                    raise ValueError(f"'{word}' is listed under {seen[word]} and under {d.name}")
                seen[word] = d.name
        if len(set(self.persons)) != len(self.persons):
            raise ValueError("a person is listed twice")
        return self

    def model_post_init(self, context: object, /) -> None:
        self._names = {w: d.name for d in self.documents for w in (d.name, *d.aliases)}

    def canonical(self, name: str) -> str | None:
        """The document name an alias (or the name itself) stands for; none when not a common document."""
        return self._names.get(name)

    def is_alias(self, name: str) -> bool:
        canonical = self.canonical(name)
        return canonical is not None and canonical != name


def read(guides_dir: Path) -> tuple[Vocabulary | None, list[Problem]]:
    """The vocabulary of a guides folder; none (and nothing to check) when the folder has no documents file."""
    path = guides_dir / DOCUMENTS_FILE
    if not path.is_file():
        return None, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [Problem(DOCUMENTS_FILE, "", f"unreadable: {exc}")]
    try:
        return Vocabulary.model_validate(data), []
    except ValidationError as exc:
        return None, [
            Problem(DOCUMENTS_FILE, ".".join(str(p) for p in e["loc"]) or "(file)", e["msg"]) for e in exc.errors()
        ]
