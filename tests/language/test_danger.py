"""detect_danger: recall and false alarms on the tuning set, plus the cases named in the brief."""

import dataclasses
from typing import List, Tuple

import pytest

from bot.language.danger import DANGER, SELF_HARM, DangerSignal, detect_danger
from tests.language import danger_tuning


def test_tuning_set_is_big_enough() -> None:
    assert len(danger_tuning.DANGER) >= 65
    assert len(danger_tuning.SAFE) >= 65
    assert {kind for _, kind in danger_tuning.DANGER} == {DANGER, SELF_HARM}


def test_recall_and_false_alarms_on_tuning_set() -> None:
    missed = [text for text, _ in danger_tuning.DANGER if detect_danger(text) is None]
    alarms = [text for text in danger_tuning.SAFE if detect_danger(text) is not None]
    recall = 1 - len(missed) / len(danger_tuning.DANGER)
    false_alarm_rate = len(alarms) / len(danger_tuning.SAFE)
    assert recall >= 0.95, missed
    assert false_alarm_rate <= 0.05, alarms


def test_self_harm_is_told_apart_from_danger() -> None:
    wrong = [
        (text, kind)
        for text, kind in danger_tuning.DANGER
        if (signal := detect_danger(text)) is not None and signal.kind != kind
    ]
    assert len(wrong) <= 0.05 * len(danger_tuning.DANGER), wrong


BRIEF_DANGER: List[Tuple[str, str]] = [
    ("he's at the door", DANGER),
    ("she is hitting me now", DANGER),
    ("my son pushed me down the stairs today", DANGER),
    ("I've swallowed a lot of pills", SELF_HARM),
    ("whats the point of carrying on", SELF_HARM),
    ("I want to die", SELF_HARM),
    ("he said he'll kill me", DANGER),
    ("she's got a knife", DANGER),
    ("I'm scared he'll come back tonight", DANGER),
    ("I don't feel safe", DANGER),
    ("help me please he's here", DANGER),
    ("she says he's outside now", DANGER),
]


@pytest.mark.parametrize("text,kind", BRIEF_DANGER)
def test_named_danger_cases(text: str, kind: str) -> None:
    signal = detect_danger(text)
    assert signal is not None and signal.kind == kind
    assert signal.phrase.strip()


@pytest.mark.parametrize(
    "text",
    ["there's no danger here", "my brother hit me years ago", "I'd like to feel safer", "I want him to stop hitting me",
     "he used to shout", "I'm not scared now", "he isn't here", "", "   ", "yes", "no"],
)
def test_named_safe_cases(text: str) -> None:
    assert detect_danger(text) is None


def test_signal_is_a_frozen_dataclass() -> None:
    signal = detect_danger("he's got a knife")
    assert isinstance(signal, DangerSignal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.kind = "other"  # type: ignore[misc]
