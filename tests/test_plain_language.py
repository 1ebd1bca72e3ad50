"""Every sentence a person reads, measured: plain words, no jargon, buttons on questions.

Aim: reading age about 9 (GOV.UK / NHS content guides), i.e. Flesch-Kincaid
grade 6 on average and never above 8.
"""

from __future__ import annotations

import re
from statistics import mean
from typing import Dict, List, Tuple

import pytest
import textstat

from tests.actions.conftest import DOMAIN

MAX_MEAN_GRADE = 6.0
MAX_GRADE = 8.0

# Responses allowed above MAX_GRADE, and why. Keep this short.
GRADE_EXCEPTIONS = {
    # Helpline names and long phone numbers are fixed wording; they read as
    # long "words" to the formula, not as hard English.
    "utter_danger_help",
}

PRACTITIONER_WORDS = [
    r"\bs\.? ?42\b", r"section 42", r"desired outcomes?", r"practitioners?",
    r"mental capacity", r"multi-agency", r"safeguarding", r"enquir(y|ies)",
]

# Values the actions fill in, so the formula reads a real sentence.
FILL = {
    "council_name": "the council", "council_number": "0344 800 8020",
    "own_words": "him to leave me alone", "current_own_words": "him to leave me alone",
}


def _variants() -> List[Tuple[str, str, Dict]]:
    found = []
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            found.append((name, variant.get("text", ""), variant))
    return found


def _readable(text: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: FILL.get(m.group(1), "it"), text)


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(_readable(text)))


VARIANTS = _variants()


def test_mean_grade_is_plain() -> None:
    grades = [grade(text) for _, text, _ in VARIANTS if text]
    assert mean(grades) <= MAX_MEAN_GRADE, f"mean grade {mean(grades):.2f}"


@pytest.mark.parametrize("name, text", [(n, t) for n, t, _ in VARIANTS if t])
def test_no_response_is_hard_to_read(name: str, text: str) -> None:
    if name in GRADE_EXCEPTIONS:
        pytest.skip("on the commented exception list")
    assert grade(text) <= MAX_GRADE, f"{name}: grade {grade(text):.1f}: {text}"


@pytest.mark.parametrize("name, text", [(n, t) for n, t, _ in VARIANTS if t])
def test_no_practitioner_words(name: str, text: str) -> None:
    for pattern in PRACTITIONER_WORDS:
        assert not re.search(pattern, text, re.IGNORECASE), f"{name} says {pattern!r}: {text}"


QUESTIONS = sorted(n for n in DOMAIN["responses"] if n.startswith("utter_ask_"))


@pytest.mark.parametrize("name", QUESTIONS)
def test_every_question_has_answer_buttons(name: str) -> None:
    for variant in DOMAIN["responses"][name]:
        assert variant.get("buttons"), f"{name} has a variant without buttons"


def test_every_question_of_the_contract_has_a_prompt_and_explanations() -> None:
    from bot import constants as c

    questions = [c.CONSENT_TO_TALK, c.SPEAKER_ROLE, c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE,
                 c.DESIRED_OUTCOMES, c.OUTCOMES_CONFIRMED, c.OUTCOME_ACHIEVED,
                 *c.FEEDBACK_QUESTIONS, c.FEEDBACK_COMMENTS, c.CARRY_ON]
    for question in questions:
        assert f"utter_ask_{question}" in DOMAIN["responses"], question
        assert f"utter_explain_{question}" in DOMAIN["responses"], question
        assert f"utter_why_{question}" in DOMAIN["responses"], question
