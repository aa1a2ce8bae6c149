"""Dense encoders: a sentence-transformers model loaded offline, behind one small protocol."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from civic import e5
from index.paths import DEFAULT_MODEL_DIR
from index.settings import IndexSettings, resolve

# not settings but the Hugging Face libraries' own switches: offline and quiet, whoever imports them first
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class SentenceEncoder:
    """A sentence-transformers model; uses its `query`/`passage` prompts when it defines them."""

    def __init__(self, name_or_path: str, threads: int | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the converted folder has no pooler head; mean pooling needs none
        if threads:
            torch.set_num_threads(threads)
        self.name = name_or_path
        self.model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        self.model.max_seq_length = min(self.model.max_seq_length or 512, 512)
        self.dim = int(self.model.get_embedding_dimension() or 0)
        prompts = self.model.prompts or {}
        self._q = "query" if "query" in prompts else None
        self._p = "passage" if "passage" in prompts else ("document" if "document" in prompts else None)

    def _encode(self, texts: list[str], prompt: str | None, batch_size: int) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model.encode(
                texts, prompt_name=prompt, batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )  # fmt: skip
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._q, batch_size=32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._p, batch_size=64)


class OnnxEncoder:
    """The same model through ONNX Runtime and the `tokenizers` library: no torch in the process.

    The folder's prompts and mean pooling with L2 normalisation by civic/e5.py, which the bot's featurizer uses too.
    """

    def __init__(self, model_dir: str, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(model_dir)
        self.name = model_dir
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        config = e5.read_folder(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=config.max_tokens)
        pad_token = self.tokenizer.id_to_token(config.pad_id) or "<pad>"
        self.tokenizer.enable_padding(pad_id=config.pad_id, pad_token=pad_token)
        self._q, self._p = config.query_prompt, config.passage_prompt
        self.dim = config.dim

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in e5.length_batches(texts, batch_size):
            enc = self.tokenizer.encode_batch([prompt + texts[i] for i in rows])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[rows] = e5.sentence_vectors(hidden, mask)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._q, batch_size=32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._p, batch_size=32)


def default_model(settings: IndexSettings | None = None) -> str:
    """`EMBEDDING_MODEL` (any sentence-transformers name or path), else our converted e5-small."""
    return resolve(settings).model


def load_encoder(
    name_or_path: str | None = None, threads: int | None = None, *, settings: IndexSettings | None = None
) -> Encoder:
    """ONNX Runtime when the folder has `model.onnx` (EMBED_BACKEND=torch forces sentence-transformers).

    One thread by default (`EMBED_THREADS`): a short query gains nothing from two, and the gateway
    serves several turns at once; measured 33 ms vs 84 ms p50 with torch on 2 busy cores.
    """
    cfg = resolve(settings)
    name = name_or_path or cfg.model
    threads = threads or cfg.embed_threads
    if name == str(DEFAULT_MODEL_DIR) and not Path(name, "model.safetensors").is_file():
        raise FileNotFoundError(f"{name} is missing: run `python -m index model` (make setup does it)")
    if cfg.embed_backend != "torch" and Path(name, "model.onnx").is_file():
        return OnnxEncoder(name, threads=threads)
    if cfg.embed_backend == "onnx":
        raise FileNotFoundError(f"{name}/model.onnx is missing: run `python -m index model --if-missing`")
    return SentenceEncoder(name, threads=threads)
