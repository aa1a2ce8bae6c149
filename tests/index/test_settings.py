"""Settings come in from the caller; the environment is read by `from_env` alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import paths
from index.embed import Encoder, default_model
from index.search import Searcher
from index.settings import IndexSettings, from_env


def test_defaults_without_environment() -> None:
    cfg = from_env({})
    assert cfg == IndexSettings()
    assert (cfg.embed_backend, cfg.embed_threads, cfg.search_cache_size) == ("auto", 1, 4096)
    assert cfg.model == str(paths.DEFAULT_MODEL_DIR)


def test_reads_each_variable() -> None:
    env = {"EMBEDDING_MODEL": "/models/bge", "EMBED_BACKEND": "torch", "EMBED_THREADS": "2", "SEARCH_CACHE_SIZE": "0"}
    cfg = from_env(env)
    assert cfg == IndexSettings(embedding_model="/models/bge", embed_backend="torch", embed_threads=2,
                                search_cache_size=0)  # fmt: skip
    assert cfg.model == "/models/bge"
    assert from_env({"EMBEDDING_MODEL": ""}).model == str(paths.DEFAULT_MODEL_DIR)


def test_refuses_an_unknown_backend() -> None:
    with pytest.raises(ValueError, match="EMBED_BACKEND"):
        from_env({"EMBED_BACKEND": "gpu"})


def test_passed_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDING_MODEL", "/from/env")
    assert default_model() == "/from/env"
    assert default_model(IndexSettings(embedding_model="/passed")) == "/passed"


@pytest.mark.slow
def test_searcher_cache_size_passed_or_from_the_environment(
    index_dir: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Searcher(index_dir, encoder, cache_size=0).cache_size == 0
    monkeypatch.setenv("SEARCH_CACHE_SIZE", "7")
    assert Searcher(index_dir, encoder).cache_size == 7
    assert Searcher.load(index_dir, encoder, settings=IndexSettings(search_cache_size=3)).cache_size == 3
