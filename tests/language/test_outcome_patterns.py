"""The outcome patterns file (bot/language/patterns/outcomes.yml) and the engine rules that read it."""

from typing import List

import pytest

from bot.constants import (
    ABUSER_STAYS_AWAY,
    ACCESS_SUPPORT,
    BE_INVOLVED,
    FEEL_CONFIDENT,
    FEEL_SAFER,
    MAKE_FRIENDS,
    NO_FURTHER_ACTION,
    OUTCOME_CODES,
    PEOPLE_KEEP_PROMISES,
    POLICE_PROSECUTE,
    PROTECT_MYSELF,
    SOMETHING_ELSE,
)
from bot.language import outcomes
from bot.language.outcomes import expresses_no_wish, outcome_rule_names, recognise_outcomes, unplaced_wish


def codes(text: str) -> List[str]:
    return [m.code for m in recognise_outcomes(text) if not m.negated]


def test_every_code_has_named_groups() -> None:
    names = outcome_rule_names()
    assert len(names) == len(set(names)), "group names are how reviewers talk about a rule: keep them unique"
    for code in OUTCOME_CODES:
        assert outcome_rule_names(code), code


def test_a_typo_in_a_group_option_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown option"):
        outcomes._group({"name": "x", "code": FEEL_SAFER, "patterns": ["safe"], "weka": True}, {})
    with pytest.raises(ValueError, match="bad code"):
        outcomes._group({"name": "x", "code": "feel_safe", "patterns": ["safe"]}, {})


@pytest.mark.parametrize("text, expected", [
    # Examples from the brief for this work.
    ("I don't want my son in trouble", [NO_FURTHER_ACTION]),
    ("I'd rather not say what happened but I want him gone", [ABUSER_STAYS_AWAY]),
    ("can we stop the investigation", [NO_FURTHER_ACTION]),
    ("I want things to go back to how they were", [SOMETHING_ELSE]),
    ("I don't want him prosecuted, I just want him to leave", [NO_FURTHER_ACTION, ABUSER_STAYS_AWAY]),
])
def test_examples_of_the_labelling(text: str, expected: List[str]) -> None:
    assert codes(text) == expected


def test_a_story_gives_no_codes_when_the_message_says_what_is_wanted() -> None:
    text = ("My brother has learning disabilities and lives in supported living. The staff keep changing. "
            "He wants staff to stick to what's in his plan and he wants to be asked about changes first.")
    assert codes(text) == [PEOPLE_KEEP_PROMISES, BE_INVOLVED]


def test_a_statement_of_need_counts_in_a_story() -> None:
    assert codes("Mum's lost all her confidence, she'd like to get some of it back") == [FEEL_CONFIDENT]


def test_each_wish_keeps_the_words_of_its_own_clause() -> None:
    mentions = recognise_outcomes("he took my purse. I want him out of my house and I'd like some counselling")
    assert [(m.code, m.own_words) for m in mentions] == [
        (ABUSER_STAYS_AWAY, "I want him out of my house"),
        (ACCESS_SUPPORT, "I'd like some counselling"),
    ]


@pytest.mark.parametrize("text, expected", [
    ("I don't want the police, just him gone", [ABUSER_STAYS_AWAY]),  # the negation stops at "just"
    ("if it doesn't stop he wants the police involved", [POLICE_PROSECUTE]),  # not the wish's negation
    ("i'm not pressing charges, i just want him to stay away", [ABUSER_STAYS_AWAY]),
    ("no more visits from my nephew", [ABUSER_STAYS_AWAY]),
    ("no further action please", [NO_FURTHER_ACTION]),
])
def test_negation(text: str, expected: List[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("to feel protected from him", [FEEL_SAFER]),
    ("she just wants the pinching and pulling to stop", [FEEL_SAFER]),
    ("i want the scammers found and charged", [POLICE_PROSECUTE]),
    ("I would like to move to a different home and make some friends there", [SOMETHING_ELSE, MAKE_FRIENDS]),
    ("help me understand how these scams work", [PROTECT_MYSELF]),
    ("I want to be involved in picking my new carer", [BE_INVOLVED]),
])
def test_wishes_said_in_other_words(text: str, expected: List[str]) -> None:
    assert codes(text) == expected


def test_leave_me_alone_is_about_us_when_nothing_more_should_happen() -> None:
    assert codes("just leave me alone") == [ABUSER_STAYS_AWAY]
    assert codes("nowt, just leave us be") == [NO_FURTHER_ACTION]
    assert codes("I want to be left alone by all of you") == [NO_FURTHER_ACTION]


@pytest.mark.parametrize("text", [
    "I'll have to think about it", "she hasn't said", "dunno, he's my son", "I'd need to think",
    "She wasn't able to express a view today.", "can I come back to this one",
])
def test_messages_that_say_there_is_no_wish_yet(text: str) -> None:
    assert expresses_no_wish(text)


@pytest.mark.parametrize("text", ["I want an apology", "I'd like my cat back", "not sure, maybe counselling?",
                                  "I want him to leave", "i dont know what i want, i want my dog back"])
def test_wishes_are_not_non_answers(text: str) -> None:
    assert not expresses_no_wish(text)


def test_an_unplaced_wish_is_only_a_something_else_no_pattern_named() -> None:
    assert unplaced_wish("I'd like a bigger garden")
    assert not unplaced_wish("I want my money back")  # named by a pattern
    assert not unplaced_wish("I want to feel safe")
