"""The learned readers, as trained by `make train` (bot/language/train_readers.py) and loaded at start.

Danger: two classifiers read each message, one over its words (TF-IDF of
lemmas and character n-grams, logistic regression) and one over its meaning
(all-MiniLM-L6-v2 sentence vectors, a small MLP); their probabilities are
averaged. Thresholds for the tiers (clear, possible, review) were chosen by
leave-one-set-out cross-validation on training data and are saved with the
models. A kind model names what kind of danger it is, so the help fits.

Wishes: one classifier per outcome code over each clause's words and meaning.

Answers: what an answer to a safety question means (bot/language/safety_answers.py
says what the reading may change; it never makes a typed answer a "yes").

The artefacts live in models/readers/ beside the Rasa model, with a manifest
of their SHA-256 values: a missing or altered file stops the process at start
with one clear line (ReadersProblem), never a quiet fall back to rules alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from bot.settings import PROJECT_ROOT

READERS_DIR = PROJECT_ROOT / "models" / "readers"
MANIFEST = "manifest.json"
DANGER_FILE = "danger.joblib"
WISHES_FILE = "wishes.joblib"
ANSWERS_FILE = "answers.joblib"

VECTOR_CACHE = 512  # sentence vectors kept per process: a turn's message is embedded once

CLEAR = "clear"
POSSIBLE = "possible"
REVIEW = "review"
NONE = "none"


class ReadersProblem(RuntimeError):
    """The learned readers are missing, altered or unreadable: stop at start, say what to do."""


@dataclass(frozen=True)
class DangerScore:
    """The learned reading of one message: its probability of danger, its tier, and what kind it is."""

    p: float
    tier: str
    kind: Optional[str] = None
    kind_p: float = 0.0
    veto: float = 0.0  # below this, the reader overrules a sure rule (down to the gentle check)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Readers:
    """The loaded readers. Thread-safe for reading; load once per process."""

    def __init__(self, path: Path = READERS_DIR) -> None:
        import joblib

        manifest_file = path / MANIFEST
        if not manifest_file.is_file():
            raise ReadersProblem(f"the learned readers are not trained ({manifest_file} is missing): "
                                 "run `make train`")
        try:
            self.manifest: Dict[str, Any] = json.loads(manifest_file.read_text())
            files = self.manifest["files"]
            for name, digest in files.items():
                if _sha256(path / name) != digest:
                    raise ReadersProblem(f"{path / name} is not the file `make train` wrote (its SHA-256 "
                                         "differs from the manifest's): run `make train` again")
            self.danger: Dict[str, Any] = joblib.load(path / DANGER_FILE)
            self.wishes: Optional[Dict[str, Any]] = (
                joblib.load(path / WISHES_FILE) if WISHES_FILE in files else None)
            self.answers: Dict[str, Any] = joblib.load(path / ANSWERS_FILE) if ANSWERS_FILE in files else {}
        except ReadersProblem:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, ImportError, AttributeError) as exc:
            raise ReadersProblem(f"the learned readers in {path} cannot be read ({type(exc).__name__}): "
                                 "run `make train` again") from None
        self.version: str = str(self.manifest["version"])
        self.thresholds: Dict[str, float] = {k: float(v) for k, v in self.manifest["danger"]["thresholds"].items()}
        from bot.language.embedding import embedder

        self.embedder = embedder()
        self._lock = threading.Lock()
        self._vectors: Dict[str, np.ndarray] = {}  # insertion-ordered: the oldest go first

    # --- features ----------------------------------------------------------------------------

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence vectors for several texts: those not yet seen are embedded in one run."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing:
                for text, row in zip(missing, self.embedder.embed(missing), strict=True):
                    self._vectors[text] = row
                while len(self._vectors) > VECTOR_CACHE:
                    self._vectors.pop(next(iter(self._vectors)))
            return np.vstack([self._vectors[t] for t in texts])

    # --- danger ----------------------------------------------------------------------------------

    def danger_p(self, texts: Sequence[str], lexical_rows: Any = None) -> np.ndarray:
        model = self.danger
        rows = model["vectorizer"].transform(list(texts)) if lexical_rows is None else lexical_rows
        lexical = model["lexical"].predict_proba(rows)[:, 1]
        dense = model["dense"].predict_proba(self.vectors(texts))[:, 1]
        return np.asarray((lexical + dense) / 2.0)

    def tier_of(self, p: float) -> str:
        t = self.thresholds
        if p >= t["clear"]:
            return CLEAR
        if p >= t["possible"]:
            return POSSIBLE
        if p >= t["review"]:
            return REVIEW
        return NONE

    def kind(self, texts: Sequence[str], lexical_rows: Any = None) -> List[tuple]:  # type: ignore[type-arg]
        """(kind, probability) for each text: what kind of danger it would be."""
        model = self.danger
        classes = list(model["kind_classes"])
        rows = model["vectorizer"].transform(list(texts)) if lexical_rows is None else lexical_rows
        lexical = model["kind_lexical"].predict_proba(rows)
        dense = model["kind_dense"].predict_proba(self.vectors(texts))
        both = (lexical + dense) / 2.0
        return [(classes[int(row.argmax())], float(row.max())) for row in both]

    def danger_score(self, text: str) -> DangerScore:
        """One message's reading: its words' features and its vector, each computed once."""
        rows = self.danger["vectorizer"].transform([text])
        p = float(self.danger_p([text], rows)[0])
        tier = self.tier_of(p)
        kind, kind_p = self.kind([text], rows)[0]
        return DangerScore(p, tier, kind, kind_p, self.thresholds.get("veto", 0.0))

    # --- wishes ----------------------------------------------------------------------------------

    def wish_p(self, clauses: Sequence[str]) -> List[Dict[str, float]]:
        """For each clause, the probability of each outcome code."""
        if self.wishes is None or not clauses:
            return [{} for _ in clauses]
        model = self.wishes
        codes = list(model["codes"])
        lexical = model["lexical"].predict_proba(model["vectorizer"].transform(list(clauses)))
        dense = model["dense"].predict_proba(self.vectors(clauses))
        both = (np.asarray(lexical) + np.asarray(dense)) / 2.0
        return [dict(zip(codes, map(float, row), strict=False)) for row in both]


    # --- answers to the safety questions ------------------------------------------------------

    def answer_p(self, family: str, text: str) -> Dict[str, float]:
        """The probability of each meaning of `text` as an answer to a question of `family` ({} if none)."""
        model = self.answers.get(family)
        if model is None:
            return {}
        lexical = model["lexical"].predict_proba(model["vectorizer"].transform([text]))[0]
        dense = model["dense"].predict_proba(self.vectors([text]))[0]
        return {label: float(p) for label, p in zip(model["classes"], (lexical + dense) / 2.0, strict=True)}

    def answer_thresholds(self, family: str) -> Dict[str, float]:
        model = self.answers.get(family)
        return dict(model["thresholds"]) if model is not None else {}


_current: Optional[Readers] = None
_loading = threading.Lock()


def load_readers(path: Path = READERS_DIR) -> Readers:
    """Load the readers for this process (at start): a problem is a ReadersProblem, never a fall back."""
    global _current
    with _loading:
        _current = Readers(path)
        return _current


def current() -> Optional[Readers]:
    """The readers this process loaded at start, or None where none were loaded (unit tests, tools)."""
    return _current


def use(readers: Optional[Readers]) -> None:
    """Tests: put these readers (or none) in place."""
    global _current
    _current = readers
