"""The chat wording (api/wording/chat.yml) as sections of lines; Python holds no Chinese literals."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from api.core import wording

WORDING = "chat"


@dataclass(frozen=True)
class Messages:
    """Sections of chat.yml; `text(section, key, **vars)` fills the placeholders."""

    data: dict[str, dict[str, str]]

    def text(self, section: str, key: str, **variables: Any) -> str:
        try:
            template = self.data[section][key]
        except KeyError:
            raise wording.WordingError(f"{wording.path_of(WORDING)}: no key {section + '.' + key!r}") from None
        return template.format(**variables) if variables else template

    def section(self, name: str) -> dict[str, str]:
        try:
            return dict(self.data[name])
        except KeyError:
            raise wording.WordingError(f"{wording.path_of(WORDING)}: no key {name!r}") from None


@lru_cache
def load_messages() -> Messages:
    raw = wording.load(WORDING)
    if not all(isinstance(v, dict) for v in raw.values()):
        raise wording.WordingError(f"{wording.path_of(WORDING)}: expected sections of text")
    return Messages({str(k): {str(kk): str(vv) for kk, vv in v.items()} for k, v in raw.items()})
