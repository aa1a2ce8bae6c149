"""The chat wording (api/chat/messages.yml), loaded once; Python holds no Chinese literals."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yml"


@dataclass(frozen=True)
class Messages:
    """Sections of messages.yml; `text(section, key, **vars)` fills the placeholders."""

    data: dict[str, dict[str, str]]

    def text(self, section: str, key: str, **variables: Any) -> str:
        template = self.data[section][key]
        return template.format(**variables) if variables else template

    def section(self, name: str) -> dict[str, str]:
        return dict(self.data[name])


@lru_cache
def load_messages(path: Path = MESSAGES_FILE) -> Messages:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected sections of text")
    return Messages({str(k): {str(kk): str(vv) for kk, vv in v.items()} for k, v in raw.items()})
