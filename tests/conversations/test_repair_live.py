"""Repair paths over HTTP: resume after a pause, words a person reads, transcripts."""

from __future__ import annotations

import pytest

from tests.conversations.conftest import Live
from tests.conversations.driver import Conversation

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
    assert chat.requested() == "carry_on"
    assert live.record(chat.sender, "outcomes")["flags"]["urgent_safety"] is True


def test_transcript_shows_the_conversation_turn_by_turn(live: Live) -> None:
    chat = Conversation(live.url, live.token, "live-transcript-1")
    chat.say(START)
    chat.say("yes")
    out = live.msp("transcript", chat.sender).stdout
    assert "Person   : yes" in out
    assert "Is it OK to talk about this now?" in out
