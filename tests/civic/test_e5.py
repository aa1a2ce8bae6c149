"""The e5 folder's settings and sentence pooling (civic/e5.py), which the search and the bot's featurizer share.

tests/bot/test_e5_featurizer.py compares the two encoders' vectors across the venvs; this checks the rule itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from civic import e5
from index import model


def _folder(tmp_path: Path, *, pooling: dict[str, object], prompts: dict[str, str] | None, max_len: int | None) -> Path:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (tmp_path / "config.json").write_text(json.dumps({"pad_token_id": 1}))
    if prompts is not None:
        (tmp_path / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    if max_len is not None:
        (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_len}))
    return tmp_path


def test_padding_does_not_move_a_vector() -> None:
    rng = np.random.default_rng(7)
    hidden = rng.standard_normal((2, 5, 8)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=np.int64)
    vecs = e5.sentence_vectors(hidden, mask)
    alone = e5.sentence_vectors(hidden[1:, :3], mask[1:, :3])  # the second row without its padding
    assert np.allclose(vecs[1], alone[0], atol=1e-6)
    mean = hidden[1, :3].mean(axis=0)
    assert np.allclose(vecs[1], mean / np.linalg.norm(mean), atol=1e-6)
    assert vecs.dtype == np.float32 and np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)


def test_an_empty_mask_gives_zeros_not_nan() -> None:
    vecs = e5.sentence_vectors(np.ones((1, 3, 4), dtype=np.float32), np.zeros((1, 3), dtype=np.int64))
    assert not np.isnan(vecs).any() and not vecs.any()


def test_batches_go_shortest_first_and_take_every_row_once() -> None:
    texts = ["三个字", "一", "五个字的话", "两字", "四个字儿"]
    batches = list(e5.length_batches(texts, 2))
    assert batches == [[1, 3], [0, 4], [2]]
    assert list(e5.length_batches([], 2)) == []


def test_the_folder_says_prompts_length_and_dimension(tmp_path: Path) -> None:
    pooling = {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True}
    prompts = {"query": "q: ", "document": "d: "}  # "document" where a model has no "passage" prompt
    folder = e5.read_folder(_folder(tmp_path, pooling=pooling, prompts=prompts, max_len=4096))
    assert folder == e5.Folder(query_prompt="q: ", passage_prompt="d: ", max_tokens=512, pad_id=1, dim=384)


def test_a_folder_without_prompts_or_length_prompts_nothing(tmp_path: Path) -> None:
    pooling = {"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True}
    folder = e5.read_folder(_folder(tmp_path, pooling=pooling, prompts=None, max_len=None))
    assert (folder.query_prompt, folder.passage_prompt, folder.max_tokens) == ("", "", 512)


def test_only_mean_pooling(tmp_path: Path) -> None:
    pooling = {"word_embedding_dimension": 8, "pooling_mode_cls_token": True}
    with pytest.raises(ValueError, match="only mean pooling"):
        e5.read_folder(_folder(tmp_path, pooling=pooling, prompts=None, max_len=128))


@pytest.mark.skipif(not (model.DEFAULT_MODEL_DIR / "1_Pooling").is_dir(), reason="model not converted (make setup)")
def test_the_converted_folder_is_read_with_the_prompts_the_converter_wrote() -> None:
    folder = e5.read_folder(model.DEFAULT_MODEL_DIR)
    assert (folder.query_prompt, folder.passage_prompt) == (model.PROMPTS["query"], model.PROMPTS["passage"])
    assert folder.dim == 384 and folder.max_tokens == 512
