"""The learned readers without training them: the files are checked, the held-out sets are never read,
the tiers are decided as documented, and the classifiers are reproducible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bot.language import embedding, readers, training_data
from bot.language.danger import CLEAR, NONE, POSSIBLE, REVIEW, DangerReading, decide
from bot.language.danger_kinds import DANGER_KINDS, kind_of_type
from bot.language.readers import DangerScore


def test_the_held_out_sets_are_never_training_data() -> None:
    paths = [*training_data.DANGER_SETS.values(), *training_data.OUTCOME_SETS.values(),
             *training_data.ANSWER_SETS.values()]
    for held_out in training_data.HELD_OUT:
        assert not any(str(p).startswith(str(held_out)) for p in paths), held_out
    held_out = training_data.held_out_texts()
    assert len(held_out) > 1000
    assert not {" ".join(e.text.lower().split()) for e in training_data.danger_examples()} & held_out
    assert not {" ".join(e.text.lower().split()) for e in training_data.wish_clauses()} & held_out
    assert not {" ".join(e.text.lower().split()) for e in training_data.answer_examples()} & held_out


def test_every_kind_is_named_once() -> None:
    assert kind_of_type("violence_now") == "violence_abuse_now"
    assert kind_of_type("overdose_taken") == "suicide_self_harm"
    assert kind_of_type("no_such_type") is None
    assert len(DANGER_KINDS) == 7


def test_a_model_file_that_is_not_the_one_we_checked_stops_the_start(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(embedding.EmbeddingModelProblem, match="not the file"):
        embedding.Embedder(model_path=fake)
    with pytest.raises(embedding.EmbeddingModelProblem, match="missing"):
        embedding.Embedder(model_path=tmp_path / "nothing.onnx")


def test_the_tokenizer_is_the_one_committed() -> None:
    digest = hashlib.sha256(embedding.TOKENIZER_FILE.read_bytes()).hexdigest()
    assert digest == embedding.TOKENIZER_SHA256


def test_missing_or_altered_readers_are_a_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(readers.ReadersProblem, match="make train"):
        readers.Readers(tmp_path)
    (tmp_path / readers.DANGER_FILE).write_bytes(b"garbage")
    manifest = {"version": "x", "files": {readers.DANGER_FILE: "0" * 64}, "danger": {"thresholds": {}}}
    (tmp_path / readers.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(readers.ReadersProblem, match="SHA-256"):
        readers.Readers(tmp_path)
    manifest["files"] = {readers.DANGER_FILE: hashlib.sha256(b"garbage").hexdigest()}
    (tmp_path / readers.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(readers.ReadersProblem, match="cannot be read"):
        readers.Readers(tmp_path)


def _score(p: float, tier: str, veto: float = 0.05) -> DangerScore:
    return DangerScore(p, tier, None, 0.0, veto)


@pytest.mark.parametrize("rules, learned, expected", [
    (CLEAR, _score(0.9, CLEAR), CLEAR),
    (CLEAR, _score(0.5, POSSIBLE), CLEAR),  # a sure rule still alarms
    (CLEAR, _score(0.01, NONE), POSSIBLE),  # unless the reader is sure it is not danger: the check, never silence
    (POSSIBLE, _score(0.01, NONE), POSSIBLE),
    (POSSIBLE, _score(0.95, CLEAR), POSSIBLE),  # the rules' judgement of time and reporting stands
    (NONE, _score(0.95, CLEAR), CLEAR),
    (NONE, _score(0.4, POSSIBLE), POSSIBLE),
    (NONE, _score(0.2, REVIEW), REVIEW),
    (NONE, _score(0.01, NONE), NONE),
])
def test_three_tiers_and_the_rules_as_a_precise_layer(rules: str, learned: DangerScore, expected: str) -> None:
    assert decide(DangerReading(rules), None, 0.0, learned) == expected


def test_without_readers_the_rules_and_the_model_decide_as_before() -> None:
    assert decide(DangerReading(NONE), "danger", 0.8) == POSSIBLE
    assert decide(DangerReading(CLEAR), "harm_not_now", 0.95) == POSSIBLE
    assert decide(DangerReading(NONE), None, 0.0) == NONE


def test_the_classifiers_are_reproducible() -> None:
    from bot.language.train_readers import _fit_danger, _p

    rng = np.random.default_rng(0)
    texts = [f"he is hitting me now {i}" for i in range(20)] + [f"i like my garden {i}" for i in range(20)]
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    vectors[:20] += 1.0
    labels = np.array([1] * 20 + [0] * 20)
    first = _p(_fit_danger(texts, vectors, labels), texts, vectors)
    second = _p(_fit_danger(texts, vectors, labels), texts, vectors)
    assert np.allclose(first, second)


def test_thresholds_keep_to_their_share_of_safe_messages() -> None:
    from bot.language.train_readers import POSSIBLE_RECALL, choose_thresholds

    safe = np.linspace(0.0, 0.5, 100)
    danger = np.linspace(0.3, 1.0, 100)
    thresholds, figures = choose_thresholds(np.concatenate([safe, danger]), np.array([0] * 100 + [1] * 100))
    assert figures["safe_clear"] <= 0.02 and figures["recall_possible"] >= POSSIBLE_RECALL
    assert figures["safe_review"] <= 0.25 or thresholds["review"] == thresholds["possible"]
    assert thresholds["clear"] >= thresholds["possible"] >= thresholds["review"]
    assert thresholds["veto"] == thresholds["possible"]


def test_the_veto_is_the_lowest_level_that_keeps_the_rules_false_alarms_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sure rule alarms only when the reader's score reaches the veto; chosen on the sets the rules
    were never tuned on, so that at most VETO_FALSE_ALARMS of their safe messages get the help."""
    from bot.language import danger, train_readers

    class _Sure:
        level = CLEAR

    class _Nothing:
        level = NONE

    monkeypatch.setattr(danger, "assess_danger", lambda text: _Sure() if text.startswith("sure") else _Nothing())
    # 100 safe messages the rules are sure of, scored 0.0 to 0.495; 10 danger messages, also sure, high scores.
    texts = [f"sure safe {i}" for i in range(100)] + [f"sure danger {i}" for i in range(10)]
    scores = np.array([i / 200 for i in range(100)] + [0.95] * 10)
    labels = np.array([0] * 100 + [1] * 10)
    thresholds = {"possible": 0.2, "clear": 0.9}
    veto, figures = train_readers.choose_veto(scores, labels, ["v8"] * 110, texts, thresholds)
    assert figures["veto_false_alarms"] <= train_readers.VETO_FALSE_ALARMS
    assert veto == pytest.approx(0.55) and figures["veto_help_at_once"] == 1.0  # 0.2 + 4/8 of the way to 0.9
    # No level low enough: a sure rule alarms only where the reader would too.
    veto, _ = train_readers.choose_veto(scores + 0.45, labels, ["v8"] * 110, texts, thresholds)
    assert veto == pytest.approx(0.9)
    # Not a set the rules were never tuned on: the veto stays at the gentle check's threshold.
    veto, _ = train_readers.choose_veto(scores, labels, ["v1"] * 110, texts, thresholds)
    assert veto == 0.2
