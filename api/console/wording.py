"""The console's own wording files (handoffs.yml, workorders.yml), read once each: one loader for every screen."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


@lru_cache
def load(name: str) -> dict[str, Any]:
    """`name`.yml beside this module as a mapping; a file that is not one is a clear error at first use."""
    import yaml

    path = HERE / f"{name}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def say(file: str, key: str, /, **values: Any) -> str:
    """One line of `file`.yml, filled in (positional-only, so a value may be called `name` or `file`)."""
    text = str(load(file)[key])
    return text.format(**values) if values else text
