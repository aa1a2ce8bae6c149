"""Sentence vectors from an e5 folder's hidden states: the part of encoding that has no model in it.

The gateway's query encoder (index/embed.py OnnxEncoder) and the bot's sentence featurizer
(bot/addons/e5_featurizer.py) run the same converted sentence-transformers folder through ONNX Runtime, each in its
own Python environment. What they read from the folder (prompts, length limit, padding id, pooling) and what they do
with the hidden states (mean over the attention mask, L2 normalisation) is written here once, so a citizen's question
gets the same vector in both; tests/bot/test_e5_featurizer.py compares them across the two venvs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_MAX_TOKENS = 512  # the position embeddings' limit


@dataclass(frozen=True)
class Folder:
    """What a sentence-transformers folder says about turning text into one vector."""

    query_prompt: str  # "query: " for e5, written before a citizen's question
    passage_prompt: str  # "passage: ", before what the index stores
    max_tokens: int  # the tokenizer truncates to this
    pad_id: int
    dim: int


def read_folder(folder: Path) -> Folder:
    """The folder's prompts, length limit, padding id and dimension; ValueError unless it pools by the mean."""
    bert = folder / "sentence_bert_config.json"
    max_len = MODEL_MAX_TOKENS
    if bert.is_file():
        max_len = int(json.loads(bert.read_text()).get("max_seq_length", MODEL_MAX_TOKENS))
    pad_id = int(json.loads((folder / "config.json").read_text()).get("pad_token_id", 1))
    st_config = folder / "config_sentence_transformers.json"
    prompts = json.loads(st_config.read_text()).get("prompts", {}) if st_config.is_file() else {}
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ValueError(f"{folder}: only mean pooling is supported")
    return Folder(
        query_prompt=str(prompts.get("query", "")),
        passage_prompt=str(prompts.get("passage", prompts.get("document", ""))),
        max_tokens=min(max_len, MODEL_MAX_TOKENS),
        pad_id=pad_id,
        dim=int(pooling["word_embedding_dimension"]),
    )


def length_batches(texts: Sequence[str], size: int) -> Iterator[list[int]]:
    """Row numbers in batches of `size`, shortest texts first, so a batch carries little padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), size):
        yield order[start : start + size]


def sentence_vectors(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """(batch, tokens, dim) hidden states -> (batch, dim) unit vectors: the mean over the tokens the mask keeps."""
    weights = attention_mask[..., None].astype(np.float32)
    vecs = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return vecs
