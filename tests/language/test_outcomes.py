"""recognise_outcomes: many phrasings per code, several wishes per message, negation, own words."""

from typing import List, Tuple

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
from bot.language.outcomes import OutcomeMention, recognise_outcomes

# (message, expected code) for messages holding one wish; the wish is not negated.
SINGLE: List[Tuple[str, str]] = [
    # feel_safer
    ("I want him to stop hitting me", FEEL_SAFER),
    ("for the abuse to stop", FEEL_SAFER),
    ("I just want to feel safe in my own home", FEEL_SAFER),
    ("i want 2 feel safer", FEEL_SAFER),
    ("She wants the bullying to end", FEEL_SAFER),
    ("I don't want to be scared anymore", FEEL_SAFER),
    ("make it stop", FEEL_SAFER),
    ("I'd like to not be frightened all the time", FEEL_SAFER),
    ("no more shouting at me", FEEL_SAFER),
    ("my client would like to be safe at home", FEEL_SAFER),
    ("id like him to stop taking my money", FEEL_SAFER),
    ("I want some peace", FEEL_SAFER),
    ("dont want him 2 hurt me again", FEEL_SAFER),
    # protect_myself
    ("I want to learn to protect myself", PROTECT_MYSELF),
    ("know what to do next time", PROTECT_MYSELF),
    ("I'd like a new lock on my door", PROTECT_MYSELF),
    ("I want to know how to keep myself safe in future", PROTECT_MYSELF),
    ("mum would like a personal alarm", PROTECT_MYSELF),
    ("I need to know who to call if it happens again", PROTECT_MYSELF),
    ("help me spot scams so I don't get conned again", PROTECT_MYSELF),
    ("he'd like to learn how to look after himself", PROTECT_MYSELF),
    ("I want a safety plan", PROTECT_MYSELF),
    ("she wants cctv put in", PROTECT_MYSELF),
    # feel_confident
    ("I want to feel more confident", FEEL_CONFIDENT),
    ("to be able to stand up for myself", FEEL_CONFIDENT),
    ("I'd like my confidence back", FEEL_CONFIDENT),
    ("not feel so scared to speak up", FEEL_CONFIDENT),
    ("she wants to be able to say no to him", FEEL_CONFIDENT),
    ("i want 2 b more confidant", FEEL_CONFIDENT),
    ("help to believe in myself again", FEEL_CONFIDENT),
    ("I want to feel better about myself", FEEL_CONFIDENT),
    ("my client would like to feel stronger in herself", FEEL_CONFIDENT),
    # abuser_stays_away
    ("I want him to stay away from me", ABUSER_STAYS_AWAY),
    ("I want my son to move out", ABUSER_STAYS_AWAY),
    ("just leave me alone", ABUSER_STAYS_AWAY),
    ("I never want to see him again", ABUSER_STAYS_AWAY),
    ("I don't want her coming round anymore", ABUSER_STAYS_AWAY),
    ("mum would like him to leave", ABUSER_STAYS_AWAY),
    ("i want a restraining order", ABUSER_STAYS_AWAY),
    ("I want him out of my house", ABUSER_STAYS_AWAY),
    ("she wants no contact with her nephew", ABUSER_STAYS_AWAY),
    ("keep him away from me pls", ABUSER_STAYS_AWAY),
    ("I want my neighbour to stop coming round", ABUSER_STAYS_AWAY),
    ("i want him gone", ABUSER_STAYS_AWAY),
    # be_involved
    ("I want to be kept informed", BE_INVOLVED),
    ("keep me updated please", BE_INVOLVED),
    ("I want to be told what is happening", BE_INVOLVED),
    ("I'd like to have a say in what happens", BE_INVOLVED),
    ("she wants to be part of the decisions", BE_INVOLVED),
    ("let me know whats going on", BE_INVOLVED),
    ("I want to be involved", BE_INVOLVED),
    ("my mum wants to be listened to", BE_INVOLVED),
    ("i want to come to the meetings", BE_INVOLVED),
    ("nobody tells me anything", BE_INVOLVED),
    # people_keep_promises
    ("I want people to do what they say they will", PEOPLE_KEEP_PROMISES),
    ("for people to keep their promises", PEOPLE_KEEP_PROMISES),
    ("I want the carers to turn up on time", PEOPLE_KEEP_PROMISES),
    ("I'd like them to follow through for once", PEOPLE_KEEP_PROMISES),
    ("she wants staff to stick to the plan", PEOPLE_KEEP_PROMISES),
    ("i want them 2 do what they promised", PEOPLE_KEEP_PROMISES),
    ("people to stop letting me down", PEOPLE_KEEP_PROMISES),
    ("I want the social worker to ring me back when she says she will", PEOPLE_KEEP_PROMISES),
    ("I want them to come when they say they will", PEOPLE_KEEP_PROMISES),
    # police_prosecute
    ("I want the police to prosecute", POLICE_PROSECUTE),
    ("I want him arrested", POLICE_PROSECUTE),
    ("i want the pollice to charge him", POLICE_PROSECUTE),
    ("she wants him to go to court", POLICE_PROSECUTE),
    ("I want him punished by the law", POLICE_PROSECUTE),
    ("I want justice", POLICE_PROSECUTE),
    ("I'd like the police to take action", POLICE_PROSECUTE),
    ("he should be locked up", POLICE_PROSECUTE),
    ("I want to press charges", POLICE_PROSECUTE),
    ("Police.", POLICE_PROSECUTE),
    ("I don't want him to get away with it", POLICE_PROSECUTE),
    ("my daughter wants the polise involved", POLICE_PROSECUTE),
    # access_support
    ("I want some support", ACCESS_SUPPORT),
    ("I'd like counselling", ACCESS_SUPPORT),
    ("I need help with my money", ACCESS_SUPPORT),
    ("I want someone to talk to about how I feel", ACCESS_SUPPORT),
    ("she needs a support worker", ACCESS_SUPPORT),
    ("help with shopping and that", ACCESS_SUPPORT),
    ("I want an extra carer in the mornings", ACCESS_SUPPORT),
    ("I need help sorting out my benefits", ACCESS_SUPPORT),
    ("he would like more care at home", ACCESS_SUPPORT),
    ("any help that's going really", ACCESS_SUPPORT),
    ("i need sum1 2 talk 2", ACCESS_SUPPORT),
    # make_friends
    ("I want to make friends", MAKE_FRIENDS),
    ("I'd like to meet new people", MAKE_FRIENDS),
    ("I don't want to be lonely", MAKE_FRIENDS),
    ("she'd like to go to a social club", MAKE_FRIENDS),
    ("I want more frends", MAKE_FRIENDS),
    ("mum wants some company", MAKE_FRIENDS),
    ("to get out more and join a group", MAKE_FRIENDS),
    ("I don't want to be on my own all the time", MAKE_FRIENDS),
    ("he would like to go to the day centre", MAKE_FRIENDS),
    # no_further_action
    ("I want nothing to happen", NO_FURTHER_ACTION),
    ("please just drop it", NO_FURTHER_ACTION),
    ("leave it", NO_FURTHER_ACTION),
    ("I don't want anything done", NO_FURTHER_ACTION),
    ("I don't want him punished", NO_FURTHER_ACTION),
    ("i dont want my son to get in trouble", NO_FURTHER_ACTION),
    ("just forget it", NO_FURTHER_ACTION),
    ("I want you to stop the enquiry", NO_FURTHER_ACTION),
    ("she wants it left alone", NO_FURTHER_ACTION),
    ("we'll sort it out ourselves as a family", NO_FURTHER_ACTION),
    ("I don't want him to go to prison", NO_FURTHER_ACTION),
    ("nothing", NO_FURTHER_ACTION),
    ("i don't want social services involved", NO_FURTHER_ACTION),
    # something_else
    ("I want my money back", SOMETHING_ELSE),
    ("I would like to move to another care home", SOMETHING_ELSE),
    ("I want an apology", SOMETHING_ELSE),
    ("she wants to go back to her own flat", SOMETHING_ELSE),
    ("I'd like my cat back", SOMETHING_ELSE),
    ("I wish I could see my grandchildren", SOMETHING_ELSE),
    ("he needs his own bank card", SOMETHING_ELSE),
    ("I hope to get a bigger room", SOMETHING_ELSE),
    ("I want things to go back to how they were", SOMETHING_ELSE),
]


@pytest.mark.parametrize("text,code", SINGLE)
def test_single_wish(text: str, code: str) -> None:
    mentions = recognise_outcomes(text)
    assert [m.code for m in mentions] == [code], mentions
    assert mentions[0].negated is False
    assert mentions[0].own_words == text.strip()


def test_enough_phrasings_per_code() -> None:
    for code in OUTCOME_CODES:
        assert sum(1 for _, c in SINGLE if c == code) >= 8, code


NEGATED: List[Tuple[str, str]] = [
    ("I don't want any support", ACCESS_SUPPORT),
    ("I don't want him to leave", ABUSER_STAYS_AWAY),
    ("I don't want to be involved", BE_INVOLVED),
]


@pytest.mark.parametrize("text,code", NEGATED)
def test_negated_wish(text: str, code: str) -> None:
    mentions = recognise_outcomes(text)
    assert [(m.code, m.negated) for m in mentions] == [(code, True)], mentions


def test_not_wanting_a_prosecution_is_no_further_action_and_drops_the_prosecution() -> None:
    # Not wanting someone punished or prosecuted is asking for nothing more to happen
    # (msp-reference.md); the prosecution is still reported, as dropped.
    mentions = recognise_outcomes("I don't want him prosecuted")
    assert [(m.code, m.negated) for m in mentions] == [(NO_FURTHER_ACTION, False), (POLICE_PROSECUTE, True)]


@pytest.mark.parametrize("text", [
    "I don't want him arrested", "i dont want the police involved", "No police please",
    "she doesn't want to press charges", "keep the police out of it", "I don't want to go to court",
    "I'd rather the police weren't involved",
])
def test_not_wanting_the_police_is_no_further_action_and_drops_the_prosecution(text: str) -> None:
    # Not wanting the police, a court case or an arrest is also a wish for nothing more to happen
    # (patterns/outcomes.yml: negated_means); police_prosecute is reported as dropped, in the same words.
    mentions = recognise_outcomes(text)
    assert [(m.code, m.negated) for m in mentions] == [(POLICE_PROSECUTE, True), (NO_FURTHER_ACTION, False)]
    assert mentions[0].own_words == mentions[1].own_words


NOT_NEGATED_SPECIAL: List[Tuple[str, str]] = [
    ("I don't want him punished", NO_FURTHER_ACTION),
    ("I don't want him in trouble", NO_FURTHER_ACTION),
    ("I don't feel safe", FEEL_SAFER),
    ("I don't want to be lonely", MAKE_FRIENDS),
    ("I don't want him coming round", ABUSER_STAYS_AWAY),
    ("I'm not sure but I think I want him charged", POLICE_PROSECUTE),
    ("no I want him charged", POLICE_PROSECUTE),
    ("I'm never told what's happening", BE_INVOLVED),
]


@pytest.mark.parametrize("text,code", NOT_NEGATED_SPECIAL)
def test_negation_that_is_part_of_the_wish(text: str, code: str) -> None:
    mentions = recognise_outcomes(text)
    assert [(m.code, m.negated) for m in mentions] == [(code, False)], mentions


MULTI: List[Tuple[str, List[Tuple[str, str, bool]]]] = [
    (
        "I want him to stay away and I want to be kept informed",
        [(ABUSER_STAYS_AWAY, "I want him to stay away", False), (BE_INVOLVED, "I want to be kept informed", False)],
    ),
    (
        "I don't want him prosecuted, I just want him to leave",
        [(NO_FURTHER_ACTION, "I don't want him prosecuted", False),
         (POLICE_PROSECUTE, "I don't want him prosecuted", True),
         (ABUSER_STAYS_AWAY, "I just want him to leave", False)],
    ),
    (
        "She wants to feel safe. She also wants to make some friends.",
        [(FEEL_SAFER, "She wants to feel safe", False), (MAKE_FRIENDS, "She also wants to make some friends", False)],
    ),
    (
        "counselling & help with my money",
        [(ACCESS_SUPPORT, "counselling", False)],
    ),
    (
        "I want the police to charge him but I also want my money back",
        [(POLICE_PROSECUTE, "I want the police to charge him", False),
         (SOMETHING_ELSE, "I also want my money back", False)],
    ),
    (
        "stop the abuse; keep me in the loop; and get me some counselling",
        [(FEEL_SAFER, "stop the abuse", False), (BE_INVOLVED, "keep me in the loop", False),
         (ACCESS_SUPPORT, "get me some counselling", False)],
    ),
    (
        "i want him 2 stop hittin me n 2 move out",
        [(FEEL_SAFER, "i want him 2 stop hittin me n 2 move out", False)],
    ),
    (
        "Mum would like him to leave, plus she wants to learn how to protect herself",
        [(ABUSER_STAYS_AWAY, "Mum would like him to leave", False),
         (PROTECT_MYSELF, "she wants to learn how to protect herself", False)],
    ),
    (
        "I don't want him arrested or anything, I don't want him punished, I just want it to stop",
        [(POLICE_PROSECUTE, "I don't want him arrested or anything", True),
         (NO_FURTHER_ACTION, "I don't want him punished", False),
         (FEEL_SAFER, "I just want it to stop", False)],
    ),
    (
        "I want to be more confident and for the carers to turn up when they say",
        [(FEEL_CONFIDENT, "I want to be more confident", False),
         (PEOPLE_KEEP_PROMISES, "for the carers to turn up when they say", False)],
    ),
]


@pytest.mark.parametrize("text,expected", MULTI)
def test_several_wishes(text: str, expected: List[Tuple[str, str, bool]]) -> None:
    mentions = recognise_outcomes(text)
    if len(expected) == 1:
        expected = [(expected[0][0], text.strip(), expected[0][2])]
    assert [(m.code, m.own_words, m.negated) for m in mentions] == expected


@pytest.mark.parametrize(
    "text",
    ["no", "not sure", "that's all", "what?", "I don't know what I want", "nothing else", "idk", "",
     "   ", "ok", "yes", "hello", "thats it", "no more", "I'm not sure really", "dunno tbh"],
)
def test_non_answers_give_nothing(text: str) -> None:
    assert recognise_outcomes(text) == []


def test_one_mention_per_code_first_wins() -> None:
    mentions = recognise_outcomes("I want him to leave, and I want him out of the house")
    assert [m.code for m in mentions] == [ABUSER_STAYS_AWAY]


def test_own_words_keep_original_spelling() -> None:
    mentions = recognise_outcomes("  i wont the pollice 2 do sumthin  ")
    expected = OutcomeMention(code=POLICE_PROSECUTE, own_words="i wont the pollice 2 do sumthin", negated=False)
    assert mentions == [expected]


# Found by the end-to-end conversations: possessions "back" are their own wish, and
# "turn up" is a promise kept only when it is wished for.
@pytest.mark.parametrize("text, codes", [
    ("mum wants her money back from the carer and she wants the police to prosecute",
     ["something_else", "police_prosecute"]),
    ("my ex keeps turning up at my flat. i want him to stay away", ["abuser_stays_away"]),
    ("i want the carers to turn up when they say", ["people_keep_promises"]),
])
def test_found_in_conversations(text: str, codes: list) -> None:  # type: ignore[type-arg]
    assert [m.code for m in recognise_outcomes(text)] == codes
