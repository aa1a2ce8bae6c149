"""Heavy objects shared by requests, created once in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.catalogue import Catalogue
from index.search import Searcher


@dataclass
class AppState:
    catalogue: Catalogue
    searcher: Searcher | None = None
    extras: dict[str, object] = field(default_factory=dict)
