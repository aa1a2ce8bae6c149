"""Dense sentence features for DIET from the search's own encoder (multilingual-e5-small on ONNX Runtime).

DIET on sparse features (words and character n-grams) learns the phrasings we wrote: a long letter in words we never
used ("本人于去年办理了…至今未果") falls between intents, and the intent guard's cue words can only catch part of it.
The sentence vector of the same e5 model the gateway searches with places a message near the training examples
that mean the same thing, whatever the words, so DIET sees meaning beside the words.

The model is the folder `python -m index model` converts (var/models/multilingual-e5-small: `model.onnx`,
`tokenizer.json`, the pooling config); no torch, no download. The `query: ` prompt, mean pooling over the attention
mask and L2 normalisation come from civic/e5.py, which index/embed.py OnnxEncoder uses for a citizen's question: the
two must agree, and tests/bot/test_e5_featurizer.py checks that they do.

Only sentence features: DIET combines them with the sparse sequence features of the other featurizers. Messages are
encoded in batches of similar length during training, one at a time when serving (one ~15 ms encode per turn).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from civic import e5

# bot/ is where rasa runs; the converted model lives beside the index files
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "var" / "models" / "multilingual-e5-small"
MAX_CHARS = 2000  # a letter longer than this says what it is about in its first part; 512 tokens is the model's limit
BATCH = 32


class E5Encoder:
    """The converted e5 folder through ONNX Runtime and `tokenizers`: the query side of index/embed.py OnnxEncoder."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer as HFTokenizer

        needed = ("model.onnx", "tokenizer.json", "1_Pooling/config.json")
        missing = [f for f in needed if not (model_dir / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{model_dir}: {', '.join(missing)} missing; run `make setup` (python -m index model converts it)"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        config = e5.read_folder(model_dir)
        self.tokenizer = HFTokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=config.max_tokens)
        pad_token = self.tokenizer.id_to_token(config.pad_id) or "<pad>"
        self.tokenizer.enable_padding(pad_id=config.pad_id, pad_token=pad_token)
        self.prompt = config.query_prompt
        self.dim = config.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in e5.length_batches(texts, BATCH):
            enc = self.tokenizer.encode_batch([self.prompt + texts[i][:MAX_CHARS] for i in rows])
            ids = np.asarray([e.ids for e in enc], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[rows] = e5.sentence_vectors(hidden, mask)
        return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 sentence vector of each message's text as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # model_dir: relative paths resolve from bot/, where rasa runs; empty = the repository's var/models folder
        return {**DenseFeaturizer.get_default_config(), "model_dir": "", "threads": 1}

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5SentenceFeaturizer:
        return cls(config, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        folder = Path(str(config.get("model_dir") or DEFAULT_MODEL_DIR)).resolve()
        self.encoder = E5Encoder(folder, threads=int(config.get("threads") or 1))

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = self.encoder.encode([str(m.get(TEXT)) for m in todo])
        for message, vector in zip(todo, vectors, strict=True):
            self.add_features_to_message(sequence=None, sentence=vector[None, :], attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(list(training_data.training_examples))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass
