"""The ONNX Runtime encoder the gateway uses gives the sentence-transformers model's vectors."""

from __future__ import annotations

import numpy as np
import pytest

from index import model, text
from index.embed import Encoder, OnnxEncoder, SentenceEncoder, load_encoder

# different lengths in one batch (padding), full-width and traditional text, English, a long passage
TEXTS = [
    "社保卡丢了怎么补办",
    "我想办个体户营业执照，要带什么材料？",
    "養老金怎麼領取",
    "How do I renew my passport?",
    "退休" * 200,
]


def test_default_encoder_is_onnx(encoder: Encoder) -> None:
    assert isinstance(encoder, OnnxEncoder)
    assert encoder.dim == 384


def test_onnx_matches_sentence_transformers(encoder: Encoder) -> None:
    reference = SentenceEncoder(str(model.DEFAULT_MODEL_DIR), threads=1)
    texts = [text.normalize(t) for t in TEXTS]  # what the index and the searcher feed the encoder
    for ours, theirs in (
        (encoder.encode_queries(texts), reference.encode_queries(texts)),
        (encoder.encode_passages(texts), reference.encode_passages(texts)),
    ):
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= 0.9999, cos
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batch_equals_one_by_one(encoder: Encoder) -> None:
    texts = [text.normalize(t) for t in TEXTS]
    batch = encoder.encode_queries(texts)
    single = np.vstack([encoder.encode_queries([t]) for t in texts])
    assert np.allclose(batch, single, atol=1e-4)


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBED_BACKEND", "nonsense")
    with pytest.raises(ValueError, match="EMBED_BACKEND"):
        load_encoder()
    monkeypatch.setenv("EMBED_BACKEND", "torch")
    assert isinstance(load_encoder(), SentenceEncoder)
