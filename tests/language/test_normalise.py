"""normalise: lower-case, straight quotes, text-speak and misspellings that matter here."""

import pytest

from bot.language.normalise import normalise

CASES = [
    ("I DONT want him 2 come round", "i don't want him to come round"),
    ("u r not listening", "you are not listening"),
    ("ur social worker", "your social worker"),
    ("thanks 4 asking", "thanks for asking"),
    ("i took 2 pills", "i took 2 pills"),
    ("pls", "please"),
    ("plz help", "please help"),
    ("i wanna go home", "i want to go home"),
    ("hes gonna hurt me", "he's going to hurt me"),
    ("didnt cant wont", "didn't can't won't"),
    ("im scared ive had enough", "i'm scared i've had enough"),
    ("shes here theyre outside", "she's here they're outside"),
    ("idk", "i don't know"),
    ("dunno", "don't know"),
    ("hes here rn", "he's here right now"),
    ("tbh", "to be honest"),
    ("ya", "yes"),
    ("yh", "yes"),
    ("yeh ok", "yes ok"),
    ("yep", "yes"),
    ("nah", "no"),
    ("nope", "no"),
    ("coz he hits me", "because he hits me"),
    ("cos", "because"),
    ("the polise", "the police"),
    ("pollice", "police"),
    ("saftey", "safety"),
    ("I\u2019d like the \u201cpolice\u201d", "i'd like the \"police\""),
    ("i wont him to leave", "i want him to leave"),
    ("he wont stop", "he won't stop"),
    ("NOOOO", "no"),
    ("hittin me", "hitting me"),
    ("2nite", "tonight"),
    ("self-defence", "self defence"),
    ("  spaced   out  ", "spaced out"),
    ("", ""),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected
