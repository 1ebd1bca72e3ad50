"""Train the learned answer reader (part of `make train`): what an answer to a safety question means.

Two questions families (bot/language/training_data.py ANSWER_FAMILIES): "are
you safe right now?" with the gentle check (yes, no, not sure), and the
review's "do you feel as safe as you want to feel?" (yes, partly, no, don't
know, declined). For each, one classifier over the answer's words and one over
its meaning (the same features as the danger reader), averaged.

The reader never makes a typed answer a "yes": only a plain yes is that
(bot/language/patterns/plain_yes.yml). What it may do, with thresholds chosen
by leave-one-set-out cross-validation on its training sets:
- `again`: an answer the rules would count as "no" or "not sure" but that the
  reader reads as "yes" at this level or above is asked again, with buttons,
  instead of raising the alarm ("nobody's hurting me now", "Yes, I'm safe,
  honestly"). At most AGAIN_ON_NOT_YES of the answers that meant no or not sure
  reach it (a one-turn wait for the help, with its button always on screen).
- `label`: an answer the rules cannot read takes the reader's reading, when it
  is not "yes" and at least this sure: chosen so that LABEL_PRECISION of such
  readings were right.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from bot import constants as c
from bot.language import training_data
from bot.language.lexical import vectorizer

SEED = 0
AGAIN_ON_NOT_YES = 0.03
LABEL_PRECISION = 0.90
LABEL_GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)

Embed = Callable[[Sequence[str]], np.ndarray]


def _fit(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str]) -> Dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    vec = vectorizer()
    lexical = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=SEED)
    dense = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=SEED)
    lexical.fit(vec.fit_transform(list(texts)), list(labels))
    dense.fit(vectors, list(labels))
    assert list(lexical.classes_) == list(dense.classes_)
    return {"vectorizer": vec, "lexical": lexical, "dense": dense, "classes": list(lexical.classes_)}


def probabilities(model: Dict[str, Any], texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Each text's probability of each of the model's classes (rows), the two classifiers averaged."""
    lexical = model["lexical"].predict_proba(model["vectorizer"].transform(list(texts)))
    dense = model["dense"].predict_proba(vectors)
    return np.asarray((lexical + dense) / 2.0)


def _out_of_fold(examples: List[training_data.AnswerExample], vectors: np.ndarray,
                 classes: List[str]) -> np.ndarray:
    """Each set read by a reader trained on the other sets (columns in `classes` order)."""
    scores = np.full((len(examples), len(classes)), np.nan)
    groups = [e.group for e in examples]
    for group in sorted(set(groups)):
        test = np.array([g == group for g in groups])
        train = ~test
        if len({e.means for e, keep in zip(examples, train, strict=True) if keep}) < len(classes):
            continue  # a fold missing a label cannot read it
        model = _fit([e.text for e, keep in zip(examples, train, strict=True) if keep], vectors[train],
                     [e.means for e, keep in zip(examples, train, strict=True) if keep])
        order = [model["classes"].index(label) for label in classes]
        scores[test] = probabilities(model, [e.text for e, keep in zip(examples, test, strict=True) if keep],
                                     vectors[test])[:, order]
    return scores


def choose_thresholds(scores: np.ndarray, meant: Sequence[str], classes: List[str]) -> Tuple[Dict[str, float],
                                                                                              Dict[str, float]]:
    """`again` and `label` from out-of-fold readings (rows of `scores`, columns `classes`)."""
    seen = ~np.isnan(scores).any(axis=1)
    scores, meant_ = scores[seen], np.array(meant)[seen]
    yes = classes.index(c.YES)
    not_yes = scores[meant_ != c.YES, yes]
    ordered = np.sort(not_yes)[::-1]
    allowed = int(np.floor(AGAIN_ON_NOT_YES * len(ordered)))
    again = float(ordered[allowed]) + 1e-6 if allowed < len(ordered) else 0.0
    again = max(again, 0.5)  # never below an even chance of yes
    top = scores.argmax(axis=1)
    label = 1.01  # never, unless some level is precise enough
    for level in LABEL_GRID:
        taken = (top != yes) & (scores.max(axis=1) >= level)
        if taken.sum() and (np.array(classes)[top[taken]] == meant_[taken]).mean() >= LABEL_PRECISION:
            label = level
            break
    taken = (top != yes) & (scores.max(axis=1) >= label)
    figures = {
        "answers": float(len(meant_)),
        "yes_reaching_again": float((scores[meant_ == c.YES, yes] >= again).mean()) if (meant_ == c.YES).any()
        else 0.0,
        "not_yes_reaching_again": float((not_yes >= again).mean()) if len(not_yes) else 0.0,
        "label_share": float(taken.mean()),
        "label_precision": float((np.array(classes)[top[taken]] == meant_[taken]).mean()) if taken.any() else 0.0,
    }
    return {"again": again, "label": label}, figures


def train_answer_reader(embed: Embed, log: Any = print) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(the models by family, the manifest's part: thresholds and cross-validated figures)."""
    examples = training_data.answer_examples()
    models: Dict[str, Any] = {}
    manifest: Dict[str, Any] = {}
    for family in sorted(set(training_data.ANSWER_FAMILIES.values())):
        chosen = [e for e in examples if e.family == family]
        if not chosen:
            continue
        vectors = embed([e.text for e in chosen])
        classes = sorted({e.means for e in chosen})
        scores = _out_of_fold(chosen, vectors, classes)
        thresholds, figures = choose_thresholds(scores, [e.means for e in chosen], classes)
        model = _fit([e.text for e in chosen], vectors, [e.means for e in chosen])
        model["thresholds"] = thresholds
        models[family] = model
        manifest[family] = {"thresholds": thresholds, "cross_validated": figures, "examples": len(chosen),
                            "sets": sorted({e.group for e in chosen})}
        log(f"answers ({family}): {len(chosen)} examples; leave-one-set-out: "
            + ", ".join(f"{k} {v:.3f}" for k, v in {**thresholds, **figures}.items()))
    return models, manifest
