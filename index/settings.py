"""The index's run-time settings: the CLI and the gateway pass them in; `from_env` alone reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from index.paths import DEFAULT_MODEL_DIR

Backend = Literal["auto", "onnx", "torch"]
BACKENDS: tuple[Backend, ...] = ("auto", "onnx", "torch")


@dataclass(frozen=True)
class IndexSettings:
    """How the encoder loads and how many answers a searcher keeps."""

    embedding_model: str | None = None  # any sentence-transformers name or folder; None: our converted e5-small
    embed_backend: Backend = "auto"  # ONNX Runtime when the folder has model.onnx; torch forces sentence-transformers
    # one thread: a short query gains nothing from two, and the gateway serves several turns at once
    embed_threads: int = 1
    search_cache_size: int = 4096  # answers kept per index for repeated questions; 0 off, as the benches run

    def __post_init__(self) -> None:
        if self.embed_backend not in BACKENDS:
            raise ValueError(f"EMBED_BACKEND must be auto, onnx or torch, not {self.embed_backend!r}")

    @property
    def model(self) -> str:
        return self.embedding_model or str(DEFAULT_MODEL_DIR)


def from_env(environ: Mapping[str, str] | None = None) -> IndexSettings:
    """`EMBEDDING_MODEL`, `EMBED_BACKEND`, `EMBED_THREADS`, `SEARCH_CACHE_SIZE`; unset ones keep the defaults."""
    env = os.environ if environ is None else environ
    default = IndexSettings()
    return IndexSettings(
        embedding_model=env.get("EMBEDDING_MODEL") or None,
        embed_backend=cast(Backend, env.get("EMBED_BACKEND", default.embed_backend)),
        embed_threads=int(env.get("EMBED_THREADS", str(default.embed_threads))),
        search_cache_size=int(env.get("SEARCH_CACHE_SIZE", str(default.search_cache_size))),
    )


def resolve(settings: IndexSettings | None) -> IndexSettings:
    """The settings a caller passed, else the environment's: library code never reads os.environ itself."""
    return settings if settings is not None else from_env()
