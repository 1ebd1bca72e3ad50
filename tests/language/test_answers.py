"""recognise_answer / is_nothing_more / is_not_sure over many phrasings per answer kind."""

from typing import Dict, List, Optional, Tuple

import pytest

from bot.constants import (
    ALREADY_HAVE,
    ANSWER_KINDS,
    DECLINED,
    DONT_KNOW,
    FULLY,
    LATER,
    NO,
    NOT,
    NOT_SURE,
    PARTLY,
    ROLE_ADVOCATE,
    ROLE_FAMILY_FRIEND,
    ROLE_PERSON,
    YES,
)
from bot.language.answers import is_not_sure, is_nothing_more, recognise_answer

CASES: Dict[str, List[Tuple[str, Optional[str]]]] = {
    "consent": [
        ("yes", YES), ("yeah ok", YES), ("Yes please", YES), ("sure, go ahead", YES), ("ok", YES),
        ("yep thats fine", YES), ("of course", YES), ("alright then", YES),
        ("no", NO), ("nope", NO), ("no thanks", NO), ("I don't want to", NO), ("nah not interested", NO),
        ("maybe later", LATER), ("not now", LATER), ("another time", LATER), ("can we do it tomorrow", LATER),
        ("not right now, I'm busy", LATER), ("later pls", LATER), ("no, not today", LATER),
        ("yes and no", None), ("what?", None), ("", None),
    ],
    "role": [
        ("me", ROLE_PERSON), ("myself", ROLE_PERSON), ("it's me", ROLE_PERSON), ("I am", ROLE_PERSON),
        ("its me", ROLE_PERSON), ("im the person it happened to", ROLE_PERSON), ("just me", ROLE_PERSON),
        ("advocate", ROLE_ADVOCATE), ("I'm her advocate", ROLE_ADVOCATE), ("IMCA", ROLE_ADVOCATE),
        ("support worker speaking for him", ROLE_ADVOCATE), ("I'm an independent advocate", ROLE_ADVOCATE),
        ("his daughter", ROLE_FAMILY_FRIEND), ("my mum", ROLE_FAMILY_FRIEND), ("a friend", ROLE_FAMILY_FRIEND),
        ("her son", ROLE_FAMILY_FRIEND), ("family", ROLE_FAMILY_FRIEND), ("I'm his wife", ROLE_FAMILY_FRIEND),
        ("im her neighbour", ROLE_FAMILY_FRIEND), ("I'm helping my dad", ROLE_FAMILY_FRIEND),
        ("I'm helping someone", None), ("not sure", None), ("what do you mean", None),
    ],
    "safe": [
        ("yes", YES), ("yes I'm safe", YES), ("I'm ok", YES), ("he's gone now", YES), ("yeah fine", YES),
        ("I'm not in danger", YES), ("nobody is here", YES),
        ("no", NO), ("no, she is shouting at me now", NO), ("not really", NO), ("I'm scared", NO),
        ("no hes at the door", NO), ("I don't feel safe", NO), ("nope", NO),
        ("sort of", NOT_SURE), ("not sure", NOT_SURE), ("sometimes", NOT_SURE), ("I don't know", NOT_SURE),
        ("kind of", NOT_SURE), ("mostly", NOT_SURE), ("maybe", NOT_SURE),
        ("banana", None),
    ],
    "advocate": [
        ("yes", YES), ("yes please", YES), ("that would help", YES), ("ok", YES), ("I'd like one", YES),
        ("yeah go on then", YES), ("please", YES),
        ("no", NO), ("no thanks", NO), ("I don't need one", NO), ("nah I'm fine", NO), ("no need", NO),
        ("I can manage", NO),
        ("I've got one", ALREADY_HAVE), ("my advocate is here", ALREADY_HAVE), ("I already have one", ALREADY_HAVE),
        ("she has one already", ALREADY_HAVE), ("no I've already got an advocate", ALREADY_HAVE),
        ("I'm her advocate", ALREADY_HAVE),
        ("what is an advocate?", None), ("not sure", None),
    ],
    "confirm": [
        ("yes", YES), ("that's right", YES), ("spot on", YES), ("yep", YES), ("correct", YES),
        ("yes thats it", YES), ("perfect", YES), ("exactly", YES),
        ("not quite", NO), ("wrong", NO), ("no", NO), ("that's not right", NO), ("you missed something", NO),
        ("nope", NO), ("not really", NO), ("no that's wrong", NO),
        ("hmm", None),
    ],
    "carry_on": [
        ("carry on", YES), ("keep going", YES), ("yes", YES), ("ok", YES), ("go on", YES), ("yes continue", YES),
        ("im fine to carry on", YES), ("next", YES),
        ("stop for now", NO), ("no", NO), ("I need a break", NO), ("not now", NO), ("I don't want to carry on", NO),
        ("I've had enough", NO), ("nope", NO), ("can we stop", NO),
        ("not sure", None),
    ],
    "achieved": [
        ("it did, yes", FULLY), ("yes", FULLY), ("completely", FULLY), ("yes definitely", FULLY),
        ("yeah it happened", FULLY), ("totally", FULLY),
        ("kind of", PARTLY), ("only partly", PARTLY), ("a bit", PARTLY), ("some of it", PARTLY),
        ("yes and no", PARTLY), ("not completely", PARTLY), ("mostly", PARTLY), ("sort of", PARTLY),
        ("nope", NOT), ("no", NOT), ("not at all", NOT), ("it didn't", NOT), ("not really", NOT),
        ("he still comes round", NOT),
        ("no idea", DONT_KNOW), ("don't know", DONT_KNOW), ("not sure", DONT_KNOW), ("dunno", DONT_KNOW),
        ("too early to say", DONT_KNOW),
    ],
    "feedback": [
        ("yes", YES), ("yes very much", YES), ("definitely", YES), ("they did", YES), ("yeah loads", YES),
        ("a bit", PARTLY), ("somewhat", PARTLY), ("partly", PARTLY), ("sort of", PARTLY), ("yes and no", PARTLY),
        ("not always", PARTLY),
        ("no", NO), ("not really", NO), ("not at all", NO), ("nope", NO), ("they didn't", NO),
        ("don't know", DONT_KNOW), ("no idea", DONT_KNOW), ("not sure", DONT_KNOW), ("idk", DONT_KNOW),
        ("skip that one", DECLINED), ("rather not say", DECLINED), ("pass", DECLINED),
        ("I'd prefer not to answer", DECLINED), ("next question", DECLINED), ("no comment", DECLINED),
    ],
}

FLAT = [(kind, text, value) for kind, cases in CASES.items() for text, value in cases]


@pytest.mark.parametrize("kind,text,expected", FLAT)
def test_recognise_answer(kind: str, text: str, expected: Optional[str]) -> None:
    assert recognise_answer(text, kind) == expected


def test_every_kind_has_many_phrasings() -> None:
    assert set(CASES) == set(ANSWER_KINDS)
    for kind, cases in CASES.items():
        assert len(cases) >= 12, kind
        values = {v for _, v in cases if v is not None}
        assert values == set(ANSWER_KINDS[kind]), kind


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(KeyError):
        recognise_answer("yes", "colour")


@pytest.mark.parametrize(
    "text",
    ["no", "nope", "nothing else", "that's all", "no thats it", "thats everything", "no more",
     "No, that's all thanks", "nothing", "that's it really", "no thank you", "nah", "I think that's it",
     "All done!", "nothing more"],
)
def test_is_nothing_more(text: str) -> None:
    assert is_nothing_more(text)


@pytest.mark.parametrize(
    "text",
    ["no more hitting", "no I want him to leave", "yes", "I want counselling", "not sure", "", "nothing to happen",
     "that's all he wants, to see me suffer"],
)
def test_is_not_nothing_more(text: str) -> None:
    assert not is_nothing_more(text)


@pytest.mark.parametrize(
    "text",
    ["not sure", "don't know what I want", "idk", "no idea", "can't think", "I'm not sure really",
     "dunno", "I don't know what to say", "not sure yet", "hmm I can't decide", "no idea tbh",
     "I dont know what she wants"],
)
def test_is_not_sure(text: str) -> None:
    assert is_not_sure(text)


@pytest.mark.parametrize(
    "text",
    ["I'm not sure but I want him to leave", "no", "yes", "I want to feel safe", "", "not sure he'll stop",
     "that's all"],
)
def test_is_not_not_sure(text: str) -> None:
    assert not is_not_sure(text)


def test_found_in_conversations() -> None:
    assert recognise_answer("not rly sure", "feedback") == "dont_know"
    assert recognise_answer("not really sure", "achieved") == "dont_know"
