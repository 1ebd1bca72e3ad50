"""Train the learned readers: `python -m bot.language.train_readers [--out models/readers]` (`make train`).

Seeded and reproducible. Thresholds come from leave-one-set-out
cross-validation on the training data (bot/language/training_data.py): each
set is scored by readers trained without it, as a new author's text would
be; the pooled scores set the tiers:
- clear (help at once and a duty alert): at most CLEAR_FALSE_ALARMS of the
  danger sets' safe messages reach it;
- possible (the gentle check): POSSIBLE_RECALL of their danger messages reach it;
- review (marked for a person to read the same day): at most REVIEW_ON_SAFE
  of their safe messages, never above the gentle check.
A held-out set is never read here. The manifest records the data's digest,
the cross-validated figures and each artefact's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot import constants as c
from bot.language import training_data
from bot.language.danger_kinds import DANGER_KINDS
from bot.language.lexical import vectorizer
from bot.language.readers import ANSWERS_FILE, DANGER_FILE, MANIFEST, READERS_DIR, WISHES_FILE
from bot.language.train_answers import train_answer_reader
from bot.settings import PROJECT_ROOT

SEED = 0
CLEAR_FALSE_ALARMS = 0.02
POSSIBLE_RECALL = 0.97
REVIEW_ON_SAFE = 0.25
WISH_CODES: Tuple[str, ...] = c.OUTCOME_CODES


def _lexical_classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000, random_state=SEED)


def _dense_classifier() -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=400, early_stopping=True,
                         validation_fraction=0.1, n_iter_no_change=15, random_state=SEED)


def _fit_danger(texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray) -> Dict[str, Any]:
    vec = vectorizer()
    lexical = _lexical_classifier().fit(vec.fit_transform(list(texts)), labels)
    dense = _dense_classifier().fit(vectors, labels)
    return {"vectorizer": vec, "lexical": lexical, "dense": dense}


def _p(model: Dict[str, Any], texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    lexical = model["lexical"].predict_proba(model["vectorizer"].transform(list(texts)))[:, 1]
    dense = model["dense"].predict_proba(vectors)[:, 1]
    return np.asarray((lexical + dense) / 2.0)


def out_of_fold(texts: List[str], vectors: np.ndarray, labels: np.ndarray, groups: List[str]) -> np.ndarray:
    """Each set scored by readers trained on all the other sets."""
    scores = np.zeros(len(texts))
    for group in sorted(set(groups)):
        test = np.array([g == group for g in groups])
        train = ~test
        if len(set(labels[train])) < 2:
            continue
        model = _fit_danger([t for t, keep in zip(texts, train, strict=False) if keep], vectors[train], labels[train])
        scores[test] = _p(model, [t for t, keep in zip(texts, test, strict=False) if keep], vectors[test])
    return scores


def threshold_at(safe_scores: np.ndarray, share: float) -> float:
    """The lowest threshold that at most `share` of safe messages reach."""
    ordered = np.sort(safe_scores)[::-1]
    allowed = int(np.floor(share * len(ordered)))
    if allowed >= len(ordered):
        return 0.0
    return float(ordered[allowed]) + 1e-6


def choose_thresholds(scores: np.ndarray, labels: np.ndarray,
                      hard: Optional[np.ndarray] = None) -> Tuple[Dict[str, float], Dict[str, float]]:
    """The tiers, from out-of-fold scores of the danger sets' own messages (`hard`).

    Their safe messages are the hard ones (idioms, past harms, stories, tablets
    talk), as a new author's are; the easy ones (answers, wishes) would set
    thresholds too low. Safety first: the gentle check catches POSSIBLE_RECALL
    of danger messages; the help at once (clear) reaches at most
    CLEAR_FALSE_ALARMS of safe ones; review at most REVIEW_ON_SAFE, never above
    the check. A sure rule below the gentle check's threshold is the gentle
    check (`veto`): the two disagree.
    """
    hard = np.ones(len(scores), dtype=bool) if hard is None else hard
    safe, danger = scores[hard & (labels == 0)], scores[hard & (labels == 1)]
    clear = threshold_at(safe, CLEAR_FALSE_ALARMS)
    possible = min(clear, float(np.quantile(danger, 1.0 - POSSIBLE_RECALL))) if len(danger) else clear
    review = min(possible, threshold_at(safe, REVIEW_ON_SAFE))
    thresholds = {"clear": clear, "possible": possible, "review": review, "veto": possible}
    figures = {
        f"recall_{tier}": float((danger >= thresholds[tier]).mean()) for tier in ("clear", "possible", "review")
    } | {
        f"safe_{tier}": float((safe >= thresholds[tier]).mean()) for tier in ("clear", "possible", "review")
    }
    return thresholds, figures


# Sets the rules were never tuned on: there, the rules' false alarms are a new author's, and the
# veto is chosen on their out-of-fold scores.
RULES_FRESH_SETS = ("v7", "v8", "readers", "readers_more")
VETO_FALSE_ALARMS = 0.03
VETO_STEPS = 8


def choose_veto(scores: np.ndarray, labels: np.ndarray, groups: Sequence[str], texts: Sequence[str],
                thresholds: Dict[str, float]) -> Tuple[float, Dict[str, float]]:
    """The score under which a sure rule is only the gentle check (the two disagree).

    The lowest level between the gentle check's threshold and the help's at
    which the running decision's false alarms, out of fold on the sets the
    rules were never tuned on, are at most VETO_FALSE_ALARMS: the rules keep
    as much of the help at once as they can. Danger below it still gets the
    gentle check, so recall does not change.
    """
    from bot.language.danger import CLEAR, assess_danger

    fresh = np.array([g in RULES_FRESH_SETS for g in groups])
    if not fresh.any():
        return thresholds["possible"], {}
    sure = np.array([assess_danger(t).level == CLEAR for t, keep in zip(texts, fresh, strict=True) if keep])
    p, y = scores[fresh], labels[fresh]
    learned_clear = p >= thresholds["clear"]
    low, high = thresholds["possible"], thresholds["clear"]
    for step in range(VETO_STEPS + 1):
        veto = low + (high - low) * step / VETO_STEPS
        alarms = (sure & (p >= veto)) | (~sure & learned_clear)
        if float(alarms[y == 0].mean()) <= VETO_FALSE_ALARMS:
            break  # else the help's own threshold: a sure rule alarms only when the reader would too
    return veto, {"veto_false_alarms": float(alarms[y == 0].mean()),
                  "veto_help_at_once": float(alarms[y == 1].mean())}


def _fit_kind(texts: List[str], vectors: np.ndarray, kinds: List[str], vec: Any) -> Dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    lexical = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=SEED)
    dense = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=SEED)
    lexical.fit(vec.transform(texts), kinds)
    dense.fit(vectors, kinds)
    assert list(lexical.classes_) == list(dense.classes_)
    return {"kind_lexical": lexical, "kind_dense": dense, "kind_classes": list(lexical.classes_)}


def _fit_wishes(examples: List[training_data.WishExample], embed: Any) -> Dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    texts = [e.text for e in examples]
    targets = np.array([[code in e.codes for code in WISH_CODES] for e in examples], dtype=int)
    vec = vectorizer()
    lexical = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced",
                                                     random_state=SEED))
    dense = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced",
                                                   random_state=SEED))
    lexical.fit(vec.fit_transform(texts), targets)
    dense.fit(embed(texts), targets)
    return {"vectorizer": vec, "lexical": lexical, "dense": dense, "codes": list(WISH_CODES)}


class _FoldReader:
    """A wish model trained without one set, shaped like readers.Readers for wishes.refine."""

    def __init__(self, model: Dict[str, Any], embed: Any, thresholds: Dict[str, float]) -> None:
        self.wishes = model
        self._embed = embed
        self.manifest = {"wishes": {"thresholds": thresholds}}

    def wish_p(self, clauses: Sequence[str]) -> List[Dict[str, float]]:
        model = self.wishes
        lexical = np.asarray(model["lexical"].predict_proba(model["vectorizer"].transform(list(clauses))))
        dense = np.asarray(model["dense"].predict_proba(self._embed(list(clauses))))
        return [dict(zip(model["codes"], map(float, row), strict=True)) for row in (lexical + dense) / 2.0]


def _micro(pairs: Sequence[Tuple[set, set]]) -> Tuple[float, float, float]:  # type: ignore[type-arg]
    tp = sum(len(got & want) for got, want in pairs)
    fp = sum(len(got - want) for got, want in pairs)
    fn = sum(len(want - got) for got, want in pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


ADD_GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)
VETO_GRID = (-1.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


def wish_thresholds(clauses: List[training_data.WishExample], embed: Any,
                    log: Any = print) -> Tuple[Dict[str, float], Dict[str, float]]:
    """`add` and `veto` for wishes.refine, chosen on whole answers by leave-one-set-out.

    Each set's answers are read by the rules and by a wish model trained
    without that set; the pair of thresholds with the best micro-F1 that
    keeps at least the rules' own precision wins.
    """
    from bot.language.wishes import _read_wishes, answer_clauses, refine

    cases = {group: [(e.text, set(e.codes)) for e in found] for group, found in training_data.outcome_cases().items()}
    cases["readers"] = [(e.text, set(e.codes)) for e in training_data.wish_answers()]
    readings: List[Tuple[Any, str, set, Any]] = []  # type: ignore[type-arg]
    for group, answers in cases.items():
        if not answers:
            continue
        fold = _FoldReader(_fit_wishes([e for e in clauses if e.group != group], embed), embed, {})
        for text, want in answers:
            parts = answer_clauses(text)
            readings.append((_read_wishes(text), text, want, fold.wish_p(parts) if parts else []))
    rules_only = [(set(r.codes), want) for r, _, want, _ in readings]
    rules_p, rules_r, rules_f1 = _micro(rules_only)
    best = (rules_f1, 1.01, -1.0, rules_p, rules_r)
    shim = _FoldReader({}, embed, {})
    for add in ADD_GRID:
        for veto in VETO_GRID:
            shim.manifest = {"wishes": {"thresholds": {"add": add, "veto": veto}}}
            pairs = [(set(refine(text, reading, shim, probs).codes), want)
                     for reading, text, want, probs in readings]
            precision, recall, f1 = _micro(pairs)
            if precision >= rules_p - 1e-9 and f1 > best[0] + 1e-9:
                best = (f1, add, veto, precision, recall)
    f1, add, veto, precision, recall = best
    log(f"  wishes, leave-one-set-out on {len(readings)} answers: rules alone F1 {rules_f1:.3f} "
        f"(precision {rules_p:.3f}); with the classifier add {add} veto {veto}: F1 {f1:.3f} "
        f"(precision {precision:.3f}, recall {recall:.3f})")
    return ({"add": add, "veto": veto},
            {"rules_f1": rules_f1, "rules_precision": rules_p, "f1": f1, "precision": precision, "recall": recall})


def data_digest() -> str:
    """What the readers were trained on, so the manifest says which data made them."""
    digest = hashlib.sha256()
    for path in sorted(list(training_data.NLU.glob("*.yml")) + list(training_data.READERS.glob("*.yml"))
                       + [p for p in training_data.DANGER_SETS.values() if p.exists()]
                       + [p for p in training_data.OUTCOME_SETS.values() if p.exists()]
                       + [p for p in training_data.ANSWER_SETS.values() if p.exists()]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class EmbeddingCache:
    """Sentence vectors by text, kept between runs (var/cache/): a retrain embeds only new texts.

    Keyed by the model's id and the text, so a different model never reuses a vector.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: Dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self.vectors = {}

    @staticmethod
    def _key(text: str) -> str:
        from bot.language.embedding import MODEL_ID

        return hashlib.sha256(f"{MODEL_ID}\n{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from bot.language.embedding import embedder

        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.vectors))
        if missing:
            self.vectors.update(zip((self._key(t) for t in missing), embedder().embed(missing), strict=True))
        return np.vstack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.vstack([self.vectors[k] for k in keys]))
        tmp.replace(self.path)


CACHE_FILE = PROJECT_ROOT / "var" / "cache" / "embeddings.npz"


def train(out: Path = READERS_DIR, log: Any = print) -> Dict[str, Any]:
    import joblib
    from sklearn.utils import check_random_state

    from bot.language.embedding import MODEL_ID

    check_random_state(SEED)
    np.random.seed(SEED)
    began = time.perf_counter()
    examples = training_data.danger_examples()
    texts = [e.text for e in examples]
    labels = np.array([int(e.danger) for e in examples])
    groups = [e.group for e in examples]
    log(f"danger: {len(texts)} examples ({int(labels.sum())} danger) from {len(set(groups))} sets")
    cache = EmbeddingCache(CACHE_FILE)
    vectors = cache.embed(texts)
    log(f"  embedded in {time.perf_counter() - began:.0f} s")

    scores = out_of_fold(texts, vectors, labels, groups)
    hard = np.array([g in training_data.DANGER_SETS for g in groups])
    thresholds, figures = choose_thresholds(scores, labels, hard)
    thresholds["veto"], veto_figures = choose_veto(scores, labels, groups, texts, thresholds)
    figures.update(veto_figures)
    log("  leave-one-set-out: " + ", ".join(f"{k} {v:.3f}" for k, v in {**thresholds, **figures}.items()))

    danger = _fit_danger(texts, vectors, labels)
    kinded = [(t, v, e.kind) for t, v, e in zip(texts, vectors, examples, strict=False) if e.danger and e.kind in DANGER_KINDS]
    danger.update(_fit_kind([t for t, _, _ in kinded], np.vstack([v for _, v, _ in kinded]),
                            [str(k) for _, _, k in kinded], danger["vectorizer"]))
    log(f"  kinds from {len(kinded)} labelled danger messages: {sorted(set(k for _, _, k in kinded))}")

    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(danger, out / DANGER_FILE, compress=3)
    files = {DANGER_FILE: hashlib.sha256((out / DANGER_FILE).read_bytes()).hexdigest()}

    wish_examples = training_data.wish_clauses()
    wish_manifest: Dict[str, Any] = {}
    if wish_examples:
        embed = cache.embed
        log(f"wishes: {len(wish_examples)} clause examples")
        wish_thresholds_, wish_figures = wish_thresholds(wish_examples, embed, log)
        wishes = _fit_wishes(wish_examples, embed)
        joblib.dump(wishes, out / WISHES_FILE, compress=3)
        files[WISHES_FILE] = hashlib.sha256((out / WISHES_FILE).read_bytes()).hexdigest()
        wish_manifest = {"thresholds": wish_thresholds_, "cross_validated": wish_figures,
                         "clause_examples": len(wish_examples)}

    answers, answer_manifest = train_answer_reader(cache.embed, log)
    if answers:
        joblib.dump(answers, out / ANSWERS_FILE, compress=3)
        files[ANSWERS_FILE] = hashlib.sha256((out / ANSWERS_FILE).read_bytes()).hexdigest()

    cache.save()
    version = "readers-" + hashlib.sha256("".join(sorted(files.values())).encode()).hexdigest()[:12]
    manifest = {
        "version": version,
        "embedding_model": MODEL_ID,
        "seed": SEED,
        "data_sha256": data_digest(),
        "files": files,
        "danger": {"thresholds": thresholds, "cross_validated": figures,
                   "examples": len(texts), "danger_examples": int(labels.sum()),
                   "sets": sorted(set(groups))},
        "wishes": wish_manifest,
        "answers": answer_manifest,
        "seconds": round(time.perf_counter() - began, 1),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log(f"readers {version} written to {out} in {manifest['seconds']} s")
    return manifest


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=READERS_DIR)
    opts = parser.parse_args(argv)
    train(opts.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
