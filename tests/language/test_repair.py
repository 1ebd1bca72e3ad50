"""detect_repair: stop / explain / ask_why / ask_human / decline_answer / ask_advocate_help, and None."""

from typing import List, Tuple

import pytest

from bot.constants import (
    REPAIR_ADVOCATE,
    REPAIR_DECLINE,
    REPAIR_EXPLAIN,
    REPAIR_HUMAN,
    REPAIR_STOP,
    REPAIR_WHY,
    REPAIRS,
)
from bot.language.repair import detect_repair

REPAIR_CASES: List[Tuple[str, str]] = [
    # stop
    ("stop", REPAIR_STOP), ("Pause", REPAIR_STOP), ("I want to stop", REPAIR_STOP), ("not now", REPAIR_STOP),
    ("can we stop", REPAIR_STOP), ("I have to go", REPAIR_STOP), ("enough for today", REPAIR_STOP),
    ("sorry i gotta go now", REPAIR_STOP), ("can we do this later?", REPAIR_STOP), ("STOP!!", REPAIR_STOP),
    ("i cant do this right now", REPAIR_STOP), ("I need a break please", REPAIR_STOP),
    # explain
    ("what does that mean", REPAIR_EXPLAIN), ("I don't understand", REPAIR_EXPLAIN), ("huh", REPAIR_EXPLAIN),
    ("what?", REPAIR_EXPLAIN), ("say it more simply", REPAIR_EXPLAIN), ("wat do u mean", REPAIR_EXPLAIN),
    ("sorry I dont get it", REPAIR_EXPLAIN), ("what is an advocate?", REPAIR_EXPLAIN),
    ("can you explain", REPAIR_EXPLAIN), ("too many words", REPAIR_EXPLAIN), ("pardon?", REPAIR_EXPLAIN),
    # ask_why
    ("why are you asking", REPAIR_WHY), ("why do you need to know", REPAIR_WHY), ("what's this for", REPAIR_WHY),
    ("who will see this", REPAIR_WHY), ("why?", REPAIR_WHY), ("y r u asking me that", REPAIR_WHY),
    ("is this confidential?", REPAIR_WHY), ("will he find out I said this", REPAIR_WHY),
    ("what will you do with my answers", REPAIR_WHY), ("whats it for", REPAIR_WHY),
    # ask_human
    ("I want to talk to a person", REPAIR_HUMAN), ("can I speak to a real person", REPAIR_HUMAN),
    ("I want to talk to a human", REPAIR_HUMAN), ("I want to talk to my social worker", REPAIR_HUMAN),
    ("can someone ring me", REPAIR_HUMAN), ("are you a robot?", REPAIR_HUMAN),
    ("i'd rather speak to someone", REPAIR_HUMAN), ("can my social worker call me please", REPAIR_HUMAN),
    ("real person please", REPAIR_HUMAN), ("can i talk to someone", REPAIR_HUMAN),
    # decline_answer
    ("I'd rather not say", REPAIR_DECLINE), ("skip", REPAIR_DECLINE), ("pass", REPAIR_DECLINE),
    ("don't want to answer", REPAIR_DECLINE), ("id rather not answer that", REPAIR_DECLINE),
    ("no comment", REPAIR_DECLINE), ("can we skip this one", REPAIR_DECLINE), ("that's private", REPAIR_DECLINE),
    ("I prefer not to say", REPAIR_DECLINE), ("next question please", REPAIR_DECLINE),
    # ask_advocate_help
    ("can someone help me with this", REPAIR_ADVOCATE), ("I need help answering", REPAIR_ADVOCATE),
    ("can I have an advocate", REPAIR_ADVOCATE), ("I need someone on my side", REPAIR_ADVOCATE),
    ("could my daughter help me answer", REPAIR_ADVOCATE), ("i need help 2 answer these", REPAIR_ADVOCATE),
    ("I want an advocate", REPAIR_ADVOCATE), ("can someone speak for me", REPAIR_ADVOCATE),
    ("I can't do this on my own", REPAIR_ADVOCATE),
]


@pytest.mark.parametrize("text,expected", REPAIR_CASES)
def test_detect_repair(text: str, expected: str) -> None:
    assert detect_repair(text) == expected


def test_enough_phrasings_per_repair() -> None:
    for repair in REPAIRS:
        assert sum(1 for _, r in REPAIR_CASES if r == repair) >= 8, repair


NOT_REPAIRS: List[str] = [
    "yes", "no", "I want him to stop", "I want someone to talk to about how I feel", "stop hitting me",
    "he won't stop", "I want to stop him coming round", "can we stop him from visiting",
    "I have to go to hospital tomorrow",
    "what he did was wrong", "why does he do this to me", "I need help with my shopping", "I want to skip the meeting",
    "I want the police to prosecute", "I don't understand why he hits me", "not sure",
    "maybe later on I'll feel better",
    "I want to be kept informed", "I'd like to talk to people more", "my social worker is nice",
    "who will help me", "I don't want to say he's a bad man but he scares me", "I want him to go",
    "the carers never turn up", "I want to make friends", "I want my money back", "ok",
]


@pytest.mark.parametrize("text", NOT_REPAIRS)
def test_ordinary_answers_are_not_repairs(text: str) -> None:
    assert detect_repair(text) is None


def test_found_in_conversations() -> None:
    assert detect_repair("can i speak to someone about this") == "ask_human"
    assert detect_repair("could I talk to somebody please?") == "ask_human"


@pytest.mark.parametrize("text, words", [
    ("actually for the last question I meant partly", "partly"),
    ("sorry, the last one should be no", "no"),
    ("go back, my answer was yes", "yes"),
    ("can I change my answer to not really", "not really"),
    ("wait the previous one, dont know", "don't know"),
])
def test_change_of_earlier_answer_gives_the_new_words(text: str, words: str) -> None:
    from bot.language.repair import change_of_earlier_answer

    assert change_of_earlier_answer(text) == words


@pytest.mark.parametrize("text", ["actually yes", "I want him to stay away", "no", "partly",
                                  "the first one did happen"])
def test_plain_answers_are_not_changes(text: str) -> None:
    from bot.language.repair import change_of_earlier_answer

    assert change_of_earlier_answer(text) is None
