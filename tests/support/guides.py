"""Catalogue test helpers: one field of a guide file edited, and the errors a load of a guides folder reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from index import catalogue


def edit_guide(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def load_errors(guides: Path) -> list[str]:
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.load(guides)
    return [str(e) for e in exc.value.errors]
