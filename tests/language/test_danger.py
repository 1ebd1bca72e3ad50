"""The danger reader: clear danger, a gentle check, or none, judged clause by clause.

The gate is on held-out v9 (written before the readers' second round, never
trained or tuned on), scored as the assistant decides (the rules, the trained
model's intent and the learned readers): at least HELD_OUT_RECALL of its
danger messages must be caught (the help, or the gentle check), and at most
HELD_OUT_FALSE_ALARMS of its safe ones may get the help. These are floors
against regression, set just under its measurement after the second round
(recall 0.990, false alarms 0.012; first measured at 0.990 and 0.042,
results/heldout-v9-*.txt). v8, the gate before, is training data since.
The tuning sets (v1 to v6 among them) are held to more, because the rules
were written against them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
import yaml

from bot.language import danger as danger_module
from bot.language.danger import (
    CLEAR,
    DANGER,
    NONE,
    POSSIBLE,
    SELF_HARM,
    DangerSignal,
    assess_danger,
    decide,
)
from bot.language.matching import load_patterns
from tests.language import danger_tuning

DATA = Path(__file__).resolve().parents[1] / "data"
# Held-out v9 after the readers' second round (results/heldout-v9-after.txt): recall 0.990 (291/294),
# false alarms 0.012 (4/330). Floors just under, so a change that loses ground fails the build.
HELD_OUT_RECALL = 0.985
HELD_OUT_FALSE_ALARMS = 0.025


def _pairs(path: Path, key: str) -> List[Tuple[str, str]]:
    data = yaml.safe_load(path.read_text())
    return [(x["text"], x.get("kind") or x.get("type", "")) if isinstance(x, dict) else (x, "")
            for x in data[key]]


def _tuning() -> Tuple[List[str], List[str]]:
    danger = [t for t, _ in danger_tuning.DANGER] + [t for t, _ in _pairs(DATA / "danger_heldout.yml", "danger")]
    safe = list(danger_tuning.SAFE) + [t for t, _ in _pairs(DATA / "danger_heldout.yml", "safe")]
    # v2, v3, v4 and v5 were held out, measured once each (results/), and tuned on since.
    for path in (DATA / "tuning" / "danger_more.yml", DATA / "heldout_v2" / "danger.yml",
                 DATA / "heldout_v3" / "danger.yml", DATA / "heldout_v4" / "danger.yml",
                 DATA / "heldout_v5" / "danger.yml"):
        danger += [t for t, _ in _pairs(path, "danger")]
        safe += [t for t, _ in _pairs(path, "safe")]
    return danger, safe


# --- the data file -------------------------------------------------------------------------------


def test_pattern_file_is_well_formed() -> None:
    data = load_patterns(danger_module.PATTERNS_FILE)
    names = [g["name"] for g in data["groups"]]
    assert len(names) == len(set(names)), "group names are unique"
    for group in data["groups"]:
        assert group["kind"] in (DANGER, SELF_HARM), group["name"]
        assert group["tier"] in (CLEAR, POSSIBLE), group["name"]
        assert group["patterns"], group["name"]
    rules = danger_module._rules()  # compiles every pattern
    assert len(rules.groups) == len(names)


def test_no_and_on_are_words_not_booleans_in_the_pattern_file() -> None:
    data = load_patterns(danger_module.PATTERNS_FILE)
    assert "no" in data["cues"]["negation"]
    assert all(isinstance(w, str) for g in data["groups"] for w in g.get("not_before") or [])


# --- one dangerous clause is enough ------------------------------------------------------------

DANGER_WITH_OTHER_CLAUSES = [
    "he's hitting me, I want him arrested",
    "my son punched me and I want him in prison",
    "I want him arrested he's hitting me",
    "he was arrested last year but he's back and he's kicking the door in",
    "it's been going on for years and tonight he's battering me",
    "she's got her hands round my neck and I want her charged",
    "he got out of prison and now he's at my door",
]


@pytest.mark.parametrize("text", DANGER_WITH_OTHER_CLAUSES)
def test_a_wish_the_past_or_the_court_elsewhere_never_switches_danger_off(text: str) -> None:
    assert assess_danger(text).level == CLEAR


KINDS_OF_DANGER = [
    ("I haven't had anything to eat for three days", DANGER),
    ("fell last night still on the floor nobody's come", DANGER),
    ("they won't give me my insulin", DANGER),
    ("he's locked me in the bedroom", DANGER),
    ("she won't let me leave the house", DANGER),
    ("his hands are round my throat", DANGER),
    ("I can't breathe he's choking me", DANGER),
    ("he's waving a knife at me", DANGER),
    ("gonna top myself", SELF_HARM),
    ("i want to unalive myself tonight", SELF_HARM),
    ("took all my tablets", SELF_HARM),
    ("he keeps texting saying he'll kill me", DANGER),
    ("got a voicemail saying she's coming to get me tonight", DANGER),
]


@pytest.mark.parametrize("text, kind", KINDS_OF_DANGER)
def test_whole_kinds_of_danger_are_caught(text: str, kind: str) -> None:
    reading = assess_danger(text)
    assert reading.level != NONE, text
    assert reading.first is not None and reading.first.kind == kind


SAFE = [
    "I'm not in any danger now",
    "nobody hurts me any more",
    "he used to hit me but he moved away",
    "I want him to stop hitting me",
    "I want him arrested for what he did",
    "he's in prison now",
    "my son is coming round later to help with the shopping",
    "I cut myself shaving",
    "I took my tablets this morning like the doctor said",
    "if he ever comes to the door I'll call the police",
    "I'm scared of spiders",
    "there's no danger here",
    "years ago he strangled me, I'm fine now",
    "", "   ", "yes", "no",
]


@pytest.mark.parametrize("text", SAFE)
def test_negation_time_hopes_and_ordinary_life_are_read_properly(text: str) -> None:
    assert assess_danger(text).level == NONE, assess_danger(text)


def test_recent_past_gets_the_gentle_check_not_silence() -> None:
    assert assess_danger("he hit me last night").level == POSSIBLE


def test_a_conditional_threat_to_kill_is_still_clear() -> None:
    assert assess_danger("he told me if I talk to you he will kill me").level == CLEAR


# --- the running decision ------------------------------------------------------------------------


def test_the_rules_decide_when_they_are_sure() -> None:
    clear = assess_danger("he's at the door")
    assert decide(clear, "affirm", 0.99) == CLEAR


def test_rules_and_model_disagreeing_ask_the_gentle_check_never_silence() -> None:
    clear = assess_danger("he's at the door")
    assert decide(clear, "out_of_scope", 0.95) == POSSIBLE
    assert decide(clear, "harm_not_now", 0.95) == POSSIBLE
    assert decide(clear, "harm_not_now", 0.6) == CLEAR, "the model must be sure"
    assert decide(clear, "danger", 0.99) == CLEAR
    possible = assess_danger("he hit me last night")
    assert decide(possible, "harm_not_now", 0.99) == POSSIBLE


def test_the_model_alone_asks_the_gentle_check() -> None:
    nothing = assess_danger("the thing with the stuff")
    assert nothing.level == NONE
    assert decide(nothing, "danger", 0.99) == POSSIBLE
    assert decide(nothing, "danger", 0.2) == NONE
    assert decide(nothing, "affirm", 0.99) == NONE


def detect_danger(text: str) -> Optional[DangerSignal]:
    """The first sign of clear danger or self-harm in the message, or None."""
    reading = assess_danger(text)
    return reading.first if reading.level == CLEAR else None


def test_detect_danger_gives_only_clear_signals() -> None:
    signal = detect_danger("he's got a knife")
    assert isinstance(signal, DangerSignal) and signal.level == CLEAR and signal.phrase
    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.kind = "other"  # type: ignore[misc]
    assert detect_danger("he hit me last night") is None  # possible, not clear


# --- the gates ----------------------------------------------------------------------------------


def test_tuning_sets_every_danger_caught_and_few_false_alarms() -> None:
    danger, safe = _tuning()
    missed = [t for t in danger if assess_danger(t).level == NONE]
    alarms = [t for t in safe if assess_danger(t).level == CLEAR]
    checks = [t for t in safe if assess_danger(t).level == POSSIBLE]
    assert len(danger) >= 600 and len(safe) >= 550
    assert not missed, missed
    assert len(alarms) / len(safe) <= 0.01, alarms
    assert len(checks) / len(safe) <= 0.06, checks


def test_self_harm_is_told_apart_from_danger() -> None:
    wrong = [
        (text, kind) for text, kind in danger_tuning.DANGER
        if (first := assess_danger(text).first) is not None and first.kind != kind
    ]
    assert len(wrong) <= 0.05 * len(danger_tuning.DANGER), wrong


def test_held_out_v9_gate() -> None:
    """The assistant's decision (rules, the model's intent and the learned readers) on held-out v9."""
    from benchmarks.heldout import model_parser
    from bot.language.readers import READERS_DIR, Readers, ReadersProblem

    parse = model_parser()
    if parse is None:
        pytest.fail("no trained model: run `make train` (make test does)")
    try:
        learned = Readers(READERS_DIR)
    except ReadersProblem as problem:
        pytest.fail(f"no learned readers ({problem}): run `make train` (make test does)")
    path = DATA / "heldout_v9" / "danger.yml"
    danger = [t for t, _ in _pairs(path, "danger")]
    safe = [t for t, _ in _pairs(path, "safe")]

    def level(text: str) -> str:
        return decide(assess_danger(text), *parse(text), learned.danger_score(text))

    caught = sum(level(t) in (CLEAR, POSSIBLE) for t in danger)
    alarms = sum(level(t) == CLEAR for t in safe)
    assert caught / len(danger) >= HELD_OUT_RECALL, f"recall {caught}/{len(danger)}"
    assert alarms / len(safe) <= HELD_OUT_FALSE_ALARMS, f"false alarms {alarms}/{len(safe)}"
