"""The shared spaCy pipeline: blank English + lookup lemmatizer, cached, saved for Rasa's SpacyNLP."""

import subprocess
import sys
from pathlib import Path

import spacy

from bot.language import nlp as nlp_module
from bot.language.danger import assess_danger
from bot.language.nlp import build_nlp, get_nlp, save_pipeline
from bot.language.outcomes import recognise_outcomes

REPO = Path(__file__).resolve().parents[2]


def test_build_nlp_lemmatises() -> None:
    doc = build_nlp()("She went home and was hitting nobody")
    assert [t.lemma_ for t in doc][1] == "go"
    assert doc[5].lemma_ == "hit"


def test_get_nlp_is_cached() -> None:
    assert get_nlp() is get_nlp()


def test_saved_pipeline_loads_with_spacy_load(tmp_path: Path) -> None:
    target = tmp_path / "spacy" / "en_msp"
    save_pipeline(str(target))
    loaded = spacy.load(str(target))
    assert loaded("went")[0].lemma_ == "go"
    assert loaded.pipe_names == ["lemmatizer"]


def test_main_writes_and_checks(tmp_path: Path) -> None:
    assert nlp_module.main([str(tmp_path / "out")]) == 0
    assert nlp_module.main([]) == 2


def test_runs_as_a_module(tmp_path: Path) -> None:
    target = tmp_path / "en_msp"
    result = subprocess.run(
        [sys.executable, "-m", "bot.language.nlp", str(target)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert spacy.load(str(target))("went")[0].lemma_ == "go"


def test_the_rules_are_compiled_once_per_process() -> None:
    """Speed is measured by benchmarks (make benchmark); here, that the rules are built once and reused."""
    from bot.language import danger_rules, outcome_rules

    recognise_outcomes("warm up")
    assess_danger("warm up")
    built = (outcome_rules._rules.cache_info().misses, danger_rules._rules.cache_info().misses)
    for _ in range(5):
        recognise_outcomes("I want him to stay away and I want to be kept informed")
        assess_danger("he said he'll kill me")
    assert (outcome_rules._rules.cache_info().misses, danger_rules._rules.cache_info().misses) == built
    assert built[0] <= 1 and built[1] <= 1
