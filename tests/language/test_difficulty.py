"""The difficulty rule (patterns/difficulty.yml) on whole conversations: those that must and must not meet it.

A conversation here is what the form sees, message by message: the words, who
is speaking, and whether the form could take the message as an answer. Only
codes come back, never words.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import pytest

from bot import constants as c
from bot.language import difficulty
from bot.language.rule_files import check

Message = Tuple[str, Optional[str], bool]  # words, the speaker's role, the form asked again (no answer)
P, A, F = c.ROLE_PERSON, c.ROLE_ADVOCATE, c.ROLE_FAMILY_FRIEND


def said(*texts: str, role: Optional[str] = P) -> List[Message]:
    return [(text, role, False) for text in texts]


def unclear(text: str, role: Optional[str] = P) -> Message:
    return (text, role, True)


def reasons_of(conversation: Sequence[Message]) -> List[str]:
    return difficulty.reasons([difficulty.signs_of(text, role, no_answer) for text, role, no_answer in conversation])


SHOULD = {
    "asks what it means again and again": (
        said("yes", "what?", "ok yes", "I don't understand", "no", "what do you mean"),
        [c.DIFFICULTY_NOT_UNDERSTOOD]),
    "several repairs in a row": (
        said("yes", "why do you ask", "what?", "I'd rather not say"),
        [c.DIFFICULTY_REPAIRS_IN_A_ROW]),
    "answers that do not fit, again and again": (
        [*said("yes"), unclear("the blue one"), *said("no"), unclear("tuesday"), unclear("the cat"),
         unclear("sixty")],
        [c.DIFFICULTY_ANSWERS_DO_NOT_FIT]),
    "says reading is hard": (said("yes", "I can't read very well, sorry", "I want him gone"), [c.DIFFICULTY_READING]),
    "says reading is hard, role not known yet": (said("i struggle with reading", role=None), [c.DIFFICULTY_READING]),
    "says they are dyslexic": (said("I'm dyslexic so go slow"), [c.DIFFICULTY_READING]),
    "says remembering is hard": (said("yes", "my memory is terrible these days"), [c.DIFFICULTY_REMEMBERING]),
    "keeps forgetting": (said("I keep forgetting what you asked"), [c.DIFFICULTY_REMEMBERING]),
    "a family member: she can't answer": (
        said("she can't answer these herself", role=F), [c.DIFFICULTY_ANSWERED_FOR_THEM]),
    "a family member: he doesn't understand": (
        said("yes", "he doesn't understand what you're asking", role=F), [c.DIFFICULTY_ANSWERED_FOR_THEM]),
    "an advocate: not able to answer": (
        said("Sam is not able to answer questions like this", role=A), [c.DIFFICULTY_ANSWERED_FOR_THEM]),
}

SHOULD_NOT = {
    "one what, then fine": said("what?", "oh yes", "I want him to stay away", "no that's all", "yes"),
    "two whats far apart": said("what?", "yes", "no", "I want to feel safer", "what?", "yes"),
    "a person who is just brief": said("yes", "me", "yes", "no", "safe", "nothing", "yes"),
    "asks why once and answers": said("why do you ask", "ok, yes", "for him to leave"),
    "one answer that did not fit": [*said("yes"), unclear("blue"), *said("yes", "no")],
    "three answers that did not fit (the ladder offers a person)": [
        *said("yes"), unclear("blue"), unclear("tuesday"), unclear("the cat"), *said("yes")],
    "an advocate who answers well": said(
        "yes", "I'm her advocate", "yes she feels safe", "she wants him to move out", "no, that's it", "yes",
        role=A),
    "an advocate who asks what things mean": said("what?", "what do you mean", "what does that mean", role=A),
    "the person's own can't, about someone else": said("she can't come round any more", "he doesn't understand me"),
    "can't remember a password": said("I can't remember my password"),
    "can't read his messages": said("I can't read his messages, he deleted them"),
    "a family member on reasons, not understanding": said("he doesn't understand why the police came", role=F),
    "the family member's own reading": said("I can't read small print", role=F),
}


@pytest.mark.parametrize("name", sorted(SHOULD))
def test_the_rule_is_met(name: str) -> None:
    conversation, expected = SHOULD[name]
    assert reasons_of(conversation) == expected


@pytest.mark.parametrize("name", sorted(SHOULD_NOT))
def test_the_rule_is_not_met(name: str) -> None:
    assert reasons_of(SHOULD_NOT[name]) == []


def test_only_codes_come_back() -> None:
    words = "I can't read, what? what do you mean? I don't understand"
    shown = difficulty.signs_of(words, P)
    assert set(shown) <= set(difficulty.SIGNS)
    assert set(reasons_of(said(words, words, words))) <= set(c.DIFFICULTY_REASONS)


def test_no_signs_in_an_empty_message() -> None:
    assert difficulty.signs_of("", P) == []
    assert difficulty.reasons([]) == []


@pytest.mark.parametrize("bad, where", [
    ({"code": "lacks_capacity", "signs": ["repair"], "at_least": 1}, "reasons.0.code"),
    ({"code": "repairs_in_a_row", "signs": ["shouting"], "at_least": 1}, "reasons.0.signs"),
    ({"code": "repairs_in_a_row", "signs": ["repair"]}, "reasons.0.__root__"),
    ({"code": "repairs_in_a_row", "signs": ["repair"], "at_least": 2, "in_a_row": 2}, "reasons.0.__root__"),
])
def test_a_wrong_rule_file_is_refused_in_one_line(bad: dict, where: str) -> None:  # type: ignore[type-arg]
    data = difficulty.rules().dict()
    data["reasons"] = [bad]
    with pytest.raises(ValueError, match=rf"difficulty.yml: .* at {where}"):
        check("difficulty.yml", data, difficulty.DifficultyFile)


def test_the_real_rule_file_loads() -> None:
    found = difficulty.rules()
    assert {r.code for r in found.reasons} == set(c.DIFFICULTY_REASONS)
