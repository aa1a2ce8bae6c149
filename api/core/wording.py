"""The gateway's own wording (api/wording/<file>.yml), each file read once: the one loader of chat, channels, console
and cases, so Python holds no Chinese literals.

A key is a dotted path into a file (`say("chat", "refusal.too_long", limit=500)`); a missing file or key, or a key
that names a section where a line is wanted, is a `WordingError` naming the file and the key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

WORDING_DIR = Path(__file__).resolve().parents[1] / "wording"


class WordingError(LookupError):
    """A wording file or key the code asks for is not there (or is not the kind of value asked for)."""


def path_of(file: str) -> Path:
    return WORDING_DIR / f"{file}.yml"


@lru_cache
def load(file: str) -> dict[str, Any]:
    """The whole of `file`.yml as a mapping (read once; callers never change it)."""
    path = path_of(file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WordingError(f"{path}: no such wording file") from None
    if not isinstance(data, dict):
        raise WordingError(f"{path}: expected a mapping of keys to text")
    return data


def entry(file: str, key: str) -> Any:
    """The value at the dotted `key` of `file`.yml: a line, a list or a section."""
    node: Any = load(file)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise WordingError(f"{path_of(file)}: no key {key!r}")
        node = node[part]
    return node


def text(file: str, key: str) -> str:
    """One line as written, placeholders and all."""
    value = entry(file, key)
    if isinstance(value, dict | list) or value is None:
        raise WordingError(f"{path_of(file)}: {key!r} is not a line of text")
    return str(value)


def say(file: str, key: str, /, **values: object) -> str:
    """One line, its {placeholders} filled in (positional-only, so a value may be called `file` or `key`)."""
    line = text(file, key)
    if not values:
        return line
    try:
        return line.format(**values)
    except (KeyError, IndexError) as exc:
        raise WordingError(f"{path_of(file)}: {key!r} has a placeholder {exc} that the code does not fill") from None


def table(file: str, key: str | None = None) -> dict[str, str]:
    """A section of lines keyed by code (statuses, channels, field names), or the whole file when `key` is None;
    keys and lines as strings."""
    value = load(file) if key is None else entry(file, key)
    if not isinstance(value, dict) or any(isinstance(v, dict | list) for v in value.values()):
        raise WordingError(f"{path_of(file)}: {key or 'the file'!r} is not a section of lines")
    return {str(k): str(v) for k, v in value.items()}


def words(file: str, key: str) -> tuple[str, ...]:
    """A list of words (what the gateway reads in a question, not what it says)."""
    value = entry(file, key)
    if not isinstance(value, list):
        raise WordingError(f"{path_of(file)}: {key!r} is not a list of words")
    return tuple(str(w) for w in value)
