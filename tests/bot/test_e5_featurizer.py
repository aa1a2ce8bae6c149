"""The e5 sentence featurizer: the search's own vectors (same model, prompt, pooling) as one dense sentence feature."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("rasa.nlu.featurizers.dense_featurizer.dense_featurizer")

from addons.e5_featurizer import DEFAULT_MODEL_DIR, E5Encoder, E5SentenceFeaturizer
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_PY = ROOT / ".venv" / "bin" / "python"
TEXTS = ["社保卡丢了怎么补办", "医保窗口的人一直在聊天，喊了好几声都不理人", "新车上牌要带啥"]

if not (DEFAULT_MODEL_DIR / "model.onnx").is_file():
    pytest.skip(f"{DEFAULT_MODEL_DIR} not converted yet (make setup)", allow_module_level=True)


@pytest.fixture(scope="module")
def featurizer(tmp_path_factory: pytest.TempPathFactory) -> E5SentenceFeaturizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    config = {**E5SentenceFeaturizer.get_default_config(), "alias": "e5"}
    return E5SentenceFeaturizer.create(config, storage, Resource("e5"), ExecutionContext({}, "e5"))


def test_each_message_gets_one_unit_sentence_vector_and_no_sequence_features(featurizer: E5SentenceFeaturizer) -> None:
    messages = [Message(data={TEXT: t}) for t in TEXTS] + [Message(data={})]
    featurizer.process(messages)
    for message in messages[:-1]:
        seq, sent = message.get_dense_features(TEXT, ["e5"])
        assert seq is None
        assert sent is not None and sent.features.shape == (1, featurizer.encoder.dim)
        assert np.linalg.norm(sent.features) == pytest.approx(1.0, abs=1e-4)
    assert messages[-1].features == []  # nothing to encode: nothing added


def test_training_data_and_serving_give_the_same_vector(featurizer: E5SentenceFeaturizer) -> None:
    train = [Message(data={TEXT: t, "intent": "ask_howto"}) for t in TEXTS]
    featurizer.process_training_data(TrainingData(training_examples=train))  # batched, sorted by length
    served = [Message(data={TEXT: t}) for t in TEXTS]
    featurizer.process(served)
    for a, b in zip(train, served, strict=True):
        va = a.get_dense_features(TEXT, ["e5"])[1].features
        vb = b.get_dense_features(TEXT, ["e5"])[1].features
        assert np.allclose(va, vb, atol=1e-5)


def test_meaning_not_words_places_a_paraphrase_near() -> None:
    enc = E5Encoder(DEFAULT_MODEL_DIR)
    same, paraphrase, other = enc.encode(["社保卡丢了怎么补办", "俺的社保卡找不着了咋整", "营业执照怎么注销"])
    assert float(same @ paraphrase) > float(same @ other)


@pytest.mark.skipif(not GATEWAY_PY.is_file(), reason="the gateway's .venv is not set up")
def test_vectors_agree_with_the_gateways_query_encoder() -> None:
    """The two Python environments encode a citizen's question alike (index/embed.py OnnxEncoder, query side)."""
    script = (
        "import json, sys; from index.embed import OnnxEncoder; from index.model import DEFAULT_MODEL_DIR; "
        "print(json.dumps(OnnxEncoder(str(DEFAULT_MODEL_DIR)).encode_queries(json.loads(sys.argv[1])).tolist()))"
    )
    out = subprocess.run(
        [str(GATEWAY_PY), "-c", script, json.dumps(TEXTS)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    theirs = np.asarray(json.loads(out.stdout), dtype=np.float32)
    ours = E5Encoder(DEFAULT_MODEL_DIR).encode(TEXTS)
    assert np.allclose(ours, theirs, atol=1e-4)
