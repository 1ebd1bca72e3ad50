"""read_wishes: rules first, then a confident intent, then own words."""

from __future__ import annotations

import pytest

from bot import constants as c
from bot.language import wishes as w


def test_rules_win_over_the_model() -> None:
    reading = w.read_wishes("I want him to stay away from me", "wish_make_friends", 0.99)
    assert reading.kind == w.WISHES and reading.codes == (c.ABUSER_STAYS_AWAY,)


@pytest.mark.parametrize("intent, kind", [
    ("nothing_more", w.NOTHING_MORE), ("deny", w.NOTHING_MORE),
    ("dont_know", w.NOT_SURE), ("affirm", w.MORE_TO_SAY),
])
def test_confident_answer_intents_when_rules_are_silent(intent: str, kind: str) -> None:
    assert w.read_wishes("zzq", intent, 0.95).kind == kind


def test_confident_wish_intent_keeps_the_whole_message_as_own_words() -> None:
    reading = w.read_wishes("blah blah", "wish_make_friends", 0.9)
    assert reading.wanted == ((c.MAKE_FRIENDS, "blah blah"),)


def test_unsure_model_is_ignored_and_short_noise_is_unclear() -> None:
    assert w.read_wishes("hmm", "wish_make_friends", 0.4).kind == w.UNCLEAR


def test_a_clear_wish_without_a_code_is_kept_as_something_else() -> None:
    reading = w.read_wishes("I would like my bank card back please")
    assert reading.wanted == ((c.SOMETHING_ELSE, "I would like my bank card back please"),)


def test_nothing_at_anything_else_means_nothing_more() -> None:
    assert w.read_wishes("nothing", follow_up=True).kind == w.NOTHING_MORE
    assert w.read_wishes("nothing").codes == (c.NO_FURTHER_ACTION,)
    reading = w.read_wishes("no, I want him to leave", follow_up=True)
    assert reading.codes == (c.ABUSER_STAYS_AWAY,)


@pytest.mark.parametrize("text", ["I'd rather not say", "can we stop now please",
                                  "I want to talk to a real person"])
def test_repairs_are_never_kept_as_wishes(text: str) -> None:
    assert w.read_wishes(text).kind == w.UNCLEAR
