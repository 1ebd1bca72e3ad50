"""Noticing when taking part is hard, through the real form, message after message, without a model.

Each conversation is driven as Rasa would: the form's validator runs on each
message at the question it asked, and the slots it sets are carried into the
next turn. The rule itself is tested in tests/language/test_difficulty.py.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest
from sqlalchemy import select

from bot import constants as c
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.store import advocacy, records
from bot.store.db import session_scope
from bot.store.models import Advocacy, Alert
from tests.actions.conftest import make_tracker, run_action, slot_events

FORM = ValidateOutcomesForm()
CID = "conv-test"
S = c.STAGE_OUTCOMES
PERSON = {c.CONSENT_TO_TALK: c.YES, c.SPEAKER_ROLE: c.ROLE_PERSON, "for_someone": False}
STRUGGLES = ["what?", "I don't understand", "what do you mean"]


class Conversation:
    """The slots as Rasa keeps them between turns, and what the assistant said at each."""

    def __init__(self, slots: Dict[str, Any], question: str) -> None:
        self.slots: Dict[str, Any] = {**slots, "requested_slot": question}
        self.said: List[List[str]] = []

    @property
    def question(self) -> Optional[str]:
        return self.slots.get("requested_slot")

    def say(self, *texts: str, press: bool = False) -> "Conversation":
        for text in texts:
            question = self.question
            assert question, f"no question is being asked before {text!r}"
            metadata = {c.PRESS_KEY: text} if press else None
            events, responses = run_action(FORM, make_tracker(text, requested=question, slots=self.slots,
                                                              metadata=metadata))
            self.slots.update(slot_events(events))
            self.said.append([r for r in responses if r])
        return self

    def heard(self, response: str) -> int:
        return sum(turn.count(response) for turn in self.said)


def _alerts() -> List[Tuple[str, str, str]]:
    with session_scope() as session:
        return [(a.kind, a.reason, a.delivery) for a in session.execute(select(Alert).order_by(Alert.id)).scalars()]


def _flags() -> Dict[str, bool]:
    record = records.get_record(CID, S)
    assert record is not None
    return dict(record["flags"])


def test_struggling_again_and_again_gets_the_offer_once_the_flag_and_an_ordinary_alert(db: str) -> None:
    talk = Conversation(PERSON, c.FEELS_SAFE_NOW).say(*STRUGGLES)
    assert talk.question == c.ADVOCACY_OFFER  # asked next, before the question they were on
    assert talk.slots["detour"] == "advocacy"
    assert _flags()[c.FLAG_ADVOCACY_NEEDED] is True
    assert _alerts() == [(c.FLAG_ADVOCACY_NEEDED, c.ALERT_REASON_FIRST, c.DELIVERY_NO_CHANNEL)]
    (view,) = advocacy.waiting()
    assert set(view.reasons) == {c.DIFFICULTY_NOT_UNDERSTOOD, c.DIFFICULTY_REPAIRS_IN_A_ROW}
    assert view.offered_at is not None

    talk.say("no", press=True)
    assert talk.heard("utter_advocacy_offer_no") == 1
    assert talk.question == c.FEELS_SAFE_NOW and talk.slots["detour"] is None  # back where they were
    assert advocacy.waiting()[0].offer_answer == c.NO

    talk.say(*STRUGGLES, *STRUGGLES)  # still hard: never offered or alerted again
    assert talk.question == c.FEELS_SAFE_NOW
    assert len(_alerts()) == 1


def test_yes_is_written_down_as_a_request_then_carry_on_or_stop(db: str) -> None:
    talk = Conversation(PERSON, c.FEELS_SAFE_NOW).say(*STRUGGLES).say("yes please")
    assert talk.heard("utter_advocate_explained") == 1  # "I have written down that you would like one"
    assert _flags()[c.FLAG_ADVOCACY_REQUESTED] is True
    assert talk.slots[c.WANTS_ADVOCATE] == c.YES  # not asked again later
    assert records.get_record(CID, S)["answers"][c.WANTS_ADVOCATE] == c.YES  # type: ignore[index]
    assert talk.question == c.CARRY_ON
    talk.say("carry on")
    assert talk.question == c.FEELS_SAFE_NOW and talk.slots["detour"] is None
    assert advocacy.waiting()[0].offer_answer == c.YES


def test_answers_that_do_not_fit_again_and_again(db: str) -> None:
    talk = Conversation({}, c.CONSENT_TO_TALK).say("banana", "the bus", "purple")  # before we know who it is
    assert talk.question == c.CONSENT_TO_TALK  # the third: the rephrasing ladder offers a person, alone
    talk = talk.say("seven")
    assert talk.question == c.ADVOCACY_OFFER
    assert advocacy.waiting()[0].reasons == (c.DIFFICULTY_ANSWERS_DO_NOT_FIT,)


def test_saying_reading_is_hard_is_enough(db: str) -> None:
    talk = Conversation({c.SPEAKER_ROLE: c.ROLE_PERSON}, c.CONSENT_TO_TALK).say("yes, but I can't read very well")
    assert talk.slots[c.CONSENT_TO_TALK] == c.YES  # the answer is kept
    assert talk.question == c.ADVOCACY_OFFER
    assert advocacy.waiting()[0].reasons == (c.DIFFICULTY_READING,)


def test_a_family_member_says_the_person_cannot_answer(db: str) -> None:
    family = {c.SPEAKER_ROLE: c.ROLE_FAMILY_FRIEND, "for_someone": True}
    talk = Conversation(family, c.CONSENT_TO_TALK).say("yes ok, but she doesn't understand what you're asking")
    assert talk.question == c.ADVOCACY_OFFER  # asked of the family member, about the person
    assert advocacy.waiting()[0].reasons == (c.DIFFICULTY_ANSWERED_FOR_THEM,)


def test_an_advocate_is_not_offered_an_advocate_but_the_signs_are_recorded(db: str) -> None:
    helper = {c.SPEAKER_ROLE: c.ROLE_ADVOCATE, "for_someone": True}
    talk = Conversation(helper, c.CONSENT_TO_TALK).say("yes. He can't read or answer these himself")
    assert talk.question != c.ADVOCACY_OFFER
    assert _flags()[c.FLAG_ADVOCACY_NEEDED] is True
    assert advocacy.waiting()[0].offered_at is None


def test_no_offer_after_the_person_said_they_want_an_advocate(db: str) -> None:
    talk = Conversation({**PERSON, c.FEELS_SAFE_NOW: c.YES, c.WANTS_ADVOCATE: c.YES}, c.DESIRED_OUTCOMES)
    talk.say(*STRUGGLES)
    assert talk.question == c.DESIRED_OUTCOMES
    assert _flags()[c.FLAG_ADVOCACY_NEEDED] is True  # the practitioner still hears of the signs
    assert advocacy.waiting()[0].offered_at is None


@pytest.mark.parametrize("texts", [
    ["what?", "oh yes", "me", "yes", "what?", "no"],  # a "what?" now and then, and fine
    ["yes", "me", "yes", "no"],  # just brief
])
def test_ordinary_conversations_get_no_offer(db: str, texts: List[str]) -> None:
    talk = Conversation({}, c.CONSENT_TO_TALK).say(*texts)
    assert talk.slots[c.WANTS_ADVOCATE] == c.NO  # every question answered
    assert c.ADVOCACY_OFFER not in [talk.question]
    assert _alerts() == []
    with session_scope() as session:
        assert session.execute(select(Advocacy)).first() is None


def test_the_offer_waits_while_danger_is_being_dealt_with(db: str) -> None:
    talk = Conversation(PERSON, c.FEELS_SAFE_NOW).say("what?", "what?", "no, he is hitting me now")
    assert talk.slots["detour"] == "danger"
    assert talk.question != c.ADVOCACY_OFFER
    assert _flags()[c.FLAG_ADVOCACY_NEEDED] is False


def test_only_codes_are_kept_never_words(db: str) -> None:
    words = "I can't read very well and my memory is terrible"
    talk = Conversation({}, c.CONSENT_TO_TALK).say(words)
    assert "very well" not in repr(talk.slots["difficulty"]) and "terrible" not in repr(talk.slots["difficulty"])
    with session_scope() as session:
        row = session.execute(select(Advocacy)).scalar_one()
        alert = session.execute(select(Alert)).scalar_one()
        kept = repr([row.reasons, alert.kind, alert.reason, alert.last_error])
    assert set(row.reasons.split(",")) == {c.DIFFICULTY_READING, c.DIFFICULTY_REMEMBERING}
    assert "read very" not in kept and "memory" not in kept
