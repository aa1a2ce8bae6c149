"""The 承办部门 directory (guides/departments.yml): a locality's own list, checked once at start-up."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DEPARTMENTS_FILE = Path(__file__).resolve().parents[2] / "guides" / "departments.yml"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELDS = frozenset({"code", "name", "full_name", "contact", "categories", "aliases"})


class DepartmentFileError(ValueError):
    """The directory is wrong; the message names the file, the entry and the field, so an editor can fix it."""


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    full_name: str
    contact: str
    categories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directory:
    departments: tuple[Department, ...] = ()
    _by_key: dict[str, Department] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for d in self.departments:
            for key in (d.code, d.name, d.full_name, *d.aliases):
                self._by_key.setdefault(key, d)

    def find(self, key: str | None) -> Department | None:
        """By code, short name, full name or alias: what staff type and what an item's `dept:` says."""
        return self._by_key.get(key.strip()) if key else None

    def name_of(self, code: str | None) -> str:
        """The short name for display; a case from before the directory keeps the text it was given."""
        d = self.find(code)
        return d.name if d else (code or "")

    def suggest(self, *, category: str, item_dept: str | None = None) -> Department | None:
        """The item's own department first, else the first one that takes the case's category by default."""
        by_item = self.find(item_dept)
        if by_item is not None:
            return by_item
        return next((d for d in self.departments if category in d.categories), None)


def _texts(raw: Any, where: str, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise DepartmentFileError(f"{where}: `{name}` must be a list of non-empty texts")
    return tuple(v.strip() for v in raw)


def load_directory(path: Path | None = None, *, categories: Iterable[str] = ()) -> Directory:
    """Read and check the file: unique codes and names, known case categories, every required field filled."""
    path = path or DEFAULT_DEPARTMENTS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DepartmentFileError(f"{path}: file is missing") from None
    except yaml.YAMLError as exc:
        raise DepartmentFileError(f"{path}: not valid YAML ({exc})") from None
    entries = data.get("departments") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DepartmentFileError(f"{path}: expected `departments:` with at least one entry")
    known = set(categories)
    seen: dict[str, str] = {}
    out: list[Department] = []
    for i, raw in enumerate(entries):
        where = f"{path.name} departments[{i}]"
        if not isinstance(raw, dict):
            raise DepartmentFileError(f"{where}: expected code, name, full_name, contact")
        unknown = set(raw) - FIELDS
        if unknown:
            raise DepartmentFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        values: dict[str, str] = {}
        for name in ("code", "name", "full_name", "contact"):
            value = raw.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # contact: 12345 reads as a number in YAML
            if not isinstance(value, str) or not value.strip():
                raise DepartmentFileError(f"{where}: `{name}` is missing or empty")
            values[name] = value.strip()
        where = f"{path.name} department '{values['code']}'"
        if not SLUG.match(values["code"]) or len(values["code"]) > 64:
            raise DepartmentFileError(f"{where}: `code` must be a kebab-case id of at most 64 characters")
        cats = _texts(raw.get("categories"), where, "categories")
        bad = [c for c in cats if known and c not in known]
        if bad:
            raise DepartmentFileError(f"{where}: unknown case category {', '.join(bad)} in `categories`")
        dept = Department(categories=cats, aliases=_texts(raw.get("aliases"), where, "aliases"), **values)
        for key in (dept.code, dept.name, dept.full_name, *dept.aliases):
            if key in seen and seen[key] != dept.code:
                raise DepartmentFileError(f"{where}: '{key}' is already used by department '{seen[key]}'")
            seen[key] = dept.code
        out.append(dept)
    return Directory(tuple(out))
