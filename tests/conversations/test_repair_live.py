"""Repair paths over HTTP: resume after a pause, words a person reads, transcripts."""

from __future__ import annotations

import pytest

from tests.conversations.driver import Conversation
from tests.live import Live

pytestmark = pytest.mark.e2e

START = '/start{"stage": "outcomes", "enquiry_ref": "LIVE-1", "role": "person"}'


def _texts(replies) -> str:  # type: ignore[no-untyped-def]
    return " ".join(r.get("text") or "" for r in replies)


def test_pause_then_come_back_carries_on_where_it_stopped(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-resume-1")
    chat.say(START)
    assert chat.requested() == "consent_to_talk"
    chat.say("yes")
    assert chat.requested() == "feels_safe_now"
    chat.say("yes i am")
    assert chat.requested() == "wants_advocate"
    replies = chat.say("can we stop now please")
    assert "kept what you told us" in _texts(replies)
    assert chat.requested() is None
    assert live.record(chat.sender, "outcomes")["status"] == "paused"

    replies = chat.say("hi I'm back")
    assert "Welcome back" in _texts(replies)
    assert chat.requested() == "wants_advocate"
    assert live.record(chat.sender, "outcomes")["status"] == "in_progress"


def test_every_question_offers_buttons_and_free_text(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-buttons-1")
    replies = chat.say(START)
    assert any(r.get("buttons") for r in replies)
    replies = chat.say("yes")
    assert any(r.get("buttons") for r in replies)


def test_representative_is_asked_about_the_person(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-advocate-1")
    chat.say('/start{"stage": "outcomes", "enquiry_ref": "LIVE-2", "role": "advocate"}')
    chat.say("yes")
    replies = chat.say("yes")
    assert chat.requested() == "desired_outcomes"
    assert "What would they like to happen?" in _texts(replies)
    assert "Hello" in _texts(chat.replies) and "the person you are helping" in _texts(chat.replies)


def test_danger_between_questions_is_answered_then_carry_on(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-danger-1")
    chat.say(START)
    chat.say("stop")  # paused at consent
    replies = chat.say("hes at the door now i am scared")
    assert "999" in _texts(replies)
    assert chat.past_safe_contact() == "carry_on"
    assert live.record(chat.sender, "outcomes")["flags"]["urgent_safety"] is True


def test_transcript_shows_the_conversation_turn_by_turn(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-transcript-1")
    chat.say(START)
    chat.say("yes")
    out = live.msp("transcript", chat.sender).stdout
    assert "Person   : yes" in out
    assert "Is it OK to talk about this now?" in out


# Every repair path, in both stages, over HTTP ------------------------------------------

from tests.actions.conftest import DOMAIN  # noqa: E402

OPENINGS = {
    "outcomes": '/start{"stage": "outcomes", "enquiry_ref": "REPAIR-O", "role": "person"}',
    "review": '/start{"stage": "review", "enquiry_ref": "REPAIR-R", "role": "person"}',
}
BOTH = pytest.mark.parametrize("stage", sorted(OPENINGS))


def _words(response: str) -> str:
    """The first sentence of the person's wording (the variant with no condition)."""
    variants = DOMAIN["responses"][response]
    return next(v for v in variants if "condition" not in v)["text"].split(".")[0]


def _opened(live: Live, stage: str, name: str) -> tuple:  # type: ignore[type-arg]
    """A conversation past consent, at its second question."""
    chat = Conversation(live.url, live.token, f"live-{name}-{stage}")
    chat.say(OPENINGS[stage])
    chat.say("yes")
    question = chat.requested()
    assert question is not None
    return chat, question


@BOTH
def test_what_does_that_mean_explains_then_asks_again(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "explain")
    replies = chat.say("what does that mean?")
    assert _words(f"utter_explain_{question}") in _texts(replies)
    assert chat.requested() == question


@BOTH
def test_why_are_you_asking_says_why_then_asks_again(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "why")
    replies = chat.say("why are you asking me that?")
    assert _words(f"utter_why_{question}") in _texts(replies)
    assert chat.requested() == question


@BOTH
def test_stop_then_come_back_to_the_same_question(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "pause")
    chat.say("stop")
    assert chat.requested() is None
    assert live.record(chat.sender, stage)["status"] == "paused"
    replies = chat.say("hello")
    assert "Welcome back" in _texts(replies)
    assert chat.requested() == question


@BOTH
def test_asking_for_a_person_flags_and_offers_to_carry_on(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "human")
    replies = chat.say("I want to talk to a real person")
    assert "You can talk to a person" in _texts(replies)
    assert chat.past_safe_contact() == "carry_on"
    assert live.record(chat.sender, stage)["flags"]["wants_human_contact"] is True
    chat.say("yes")
    assert chat.requested() == question


@BOTH
def test_danger_is_answered_at_once_and_the_person_chooses(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "danger")
    replies = chat.say("hes at the door right now banging")
    text = _texts(replies)
    assert "999" in text and "0808 2000 247" in text and "116 123" in text
    assert live.record(chat.sender, stage)["flags"]["urgent_safety"] is True
    assert chat.past_safe_contact() == "carry_on"
    chat.say("stop for now")
    assert chat.requested() is None
    assert live.record(chat.sender, stage)["status"] == "paused"


@BOTH
def test_asking_for_help_sets_advocacy_and_says_what_an_advocate_does(
    live: Live, stage: str
) -> None:
    chat, question = _opened(live, stage, "advocacy")
    replies = chat.say("can someone help me with this")
    assert "An advocate is someone on your side" in _texts(replies)
    assert live.record(chat.sender, stage)["flags"]["advocacy_requested"] is True
    assert chat.requested() == question


@BOTH
def test_never_the_same_fallback_three_times_then_a_person(live: Live, stage: str) -> None:
    chat, question = _opened(live, stage, "unclear")
    if question == "feels_safe_now":  # anything but a plain yes there gets the gentle check instead
        chat.say("yes")
        question = chat.requested()
    seen = [_texts(chat.say("blorp")) for _ in range(3)]
    assert len(set(seen)) == 3
    assert "talk to a person" in seen[2]
    assert chat.requested() == question


def test_rather_not_say_to_the_wishes_is_recorded_as_none_expressed(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-decline-wishes")
    chat.say(OPENINGS["outcomes"].replace("REPAIR-O", "REPAIR-D"))
    for answer in ("yes", "yes", "no"):
        chat.say(answer)
    assert chat.requested() == "desired_outcomes"
    chat.say("I'd rather not say")
    assert chat.requested() == "outcomes_confirmed"
    assert live.record(chat.sender, "outcomes")["asked_about_outcomes"] == "asked_none_expressed"


def test_changing_an_earlier_answer_in_the_outcomes_stage(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-change-outcomes")
    chat.say(OPENINGS["outcomes"].replace("REPAIR-O", "REPAIR-C1"))
    for reply in ("yes", "yes", "no thanks"):
        chat.say(reply)
    assert chat.requested() == "desired_outcomes"
    replies = chat.say("sorry can I change my last answer to yes please")
    assert "changed that answer" in _texts(replies)
    assert chat.requested() == "desired_outcomes"
    assert live.record(chat.sender, "outcomes")["flags"]["advocacy_requested"] is True


def test_changing_an_earlier_answer_in_the_review_stage(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-change-review")
    chat.say(OPENINGS["review"].replace("REPAIR-R", "REPAIR-C2"))
    for reply in ("yes", "not sure"):  # consent; no wishes on record, and none now
        chat.say(reply)
    assert chat.requested() == "goals_met"
    chat.say("yes")
    replies = chat.say("actually the last one should be partly")
    assert "changed that answer" in _texts(replies)
    assert chat.requested() == "chance_to_say"
    assert live.record(chat.sender, "review")["feedback"]["goals_met"] == "partly"
