"""The review form's validator: each wish's result, the six questions, last words."""

from __future__ import annotations

import pytest

from bot import constants as c
from bot.actions.forms.review import ValidateReviewForm
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events

FORM = ValidateReviewForm()
CID = "conv-test"
R = c.STAGE_REVIEW
OPENED = {"stage": R, c.CONSENT_TO_TALK: "yes", "speaker_role": "person"}


def answer(text: str, requested: str, slots: dict):  # type: ignore[type-arg]
    tracker = make_tracker(text, requested=requested, slots=slots, form="review_form")
    events, responses = run_action(FORM, tracker)
    return slot_events(events), responses


def _with_two_wishes() -> dict:  # type: ignore[type-arg]
    records.add_outcomes(CID, R, [(c.ABUSER_STAYS_AWAY, "him to move out"),
                                  (c.MAKE_FRIENDS, "to make friends")])
    first = records.list_outcomes(CID, R)[0]
    return {**OPENED, "current_outcome": c.ABUSER_STAYS_AWAY, "current_wish": float(first.id),
            "current_wish_words": "the person who hurt you to stay away"}


@pytest.mark.parametrize(
    "text, value",
    [("it did, yes", c.FULLY), ("only partly", c.PARTLY), ("kind of", c.PARTLY),
     ("nope", c.NOT), ("no idea", c.DONT_KNOW)],
)
def test_each_wish_is_asked_about_in_turn(db: str, text: str, value: str) -> None:
    slots, _ = answer(text, c.OUTCOME_ACHIEVED, _with_two_wishes())
    assert slots["current_outcome"] == c.MAKE_FRIENDS
    # Asked in the code's plain words, never the person's own (those were written in another visit).
    assert slots["current_wish_words"] == "to make more friends"
    assert slots["requested_slot"] == c.OUTCOME_ACHIEVED
    achieved = {o.code: o.achieved for o in records.list_outcomes(CID, R)}
    assert achieved == {c.ABUSER_STAYS_AWAY: value, c.MAKE_FRIENDS: None}


def test_after_the_last_wish_come_the_feedback_questions(db: str) -> None:
    filled = _with_two_wishes()
    second = records.list_outcomes(CID, R)[1]
    filled.update(current_outcome=c.MAKE_FRIENDS, current_wish=float(second.id),
                  current_wish_words="to make more friends")
    records.set_achieved(CID, R, c.ABUSER_STAYS_AWAY, c.FULLY)
    slots, _ = answer("yes", c.OUTCOME_ACHIEVED, filled)
    assert slots[c.OUTCOME_ACHIEVED] == "done"
    assert slots["requested_slot"] == c.GOALS_MET


@pytest.mark.parametrize(
    "text, value",
    [("yes", c.YES), ("a bit", c.PARTLY), ("somewhat", c.PARTLY), ("no", c.NO),
     ("don't know", c.DONT_KNOW), ("skip that one", c.DECLINED),
     ("I'd rather not say", c.DECLINED)],
)
def test_feedback_answers(db: str, text: str, value: str) -> None:
    slots, _ = answer(text, c.LISTENED_TO, {**OPENED, c.GOALS_MET: "yes", c.CHANCE_TO_SAY: "yes"})
    assert slots[c.LISTENED_TO] == value
    assert slots["requested_slot"] == c.ACTED_ON_WISHES
    assert records.get_record(CID, R)["feedback"]["listened_to"] == value  # type: ignore[index]


def test_no_wishes_on_record_asks_for_them_first(db: str) -> None:
    slots, _ = answer("I wanted him to leave me alone", c.DESIRED_OUTCOMES,
                      {**OPENED, "ask_wishes_first": True})
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES
    slots, _ = answer("no thats all", c.DESIRED_OUTCOMES,
                      {**OPENED, "ask_wishes_first": True, "has_wishes": True})
    assert slots["current_outcome"] == c.ABUSER_STAYS_AWAY
    assert slots["requested_slot"] == c.OUTCOME_ACHIEVED


def test_comments_are_kept_in_own_words_or_none(db: str) -> None:
    done = {**OPENED, **{q: "yes" for q in c.FEEDBACK_QUESTIONS}}
    slots, _ = answer("The social worker was kind to me", c.FEEDBACK_COMMENTS, done)
    assert slots["requested_slot"] is None
    record = records.get_record(CID, R)
    assert record["feedback"]["comments"] == "The social worker was kind to me"  # type: ignore[index]
    slots, _ = answer("no, nothing else", c.FEEDBACK_COMMENTS, done)
    assert slots[c.FEEDBACK_COMMENTS] == "none"


def test_danger_in_the_review_gives_help_and_keeps_the_answer(db: str) -> None:
    slots, responses = answer("no. he is back and he is at the door now", c.FEEL_SAFE, {
        **OPENED, **{q: "yes" for q in c.FEEDBACK_QUESTIONS[:4]}})
    assert "utter_danger_help" in responses
    assert slots[c.FEEL_SAFE] == c.NO
    assert slots["requested_slot"] == c.CONTACT_SAFE_TO_CALL  # how to reach them safely, then carry on
    assert records.get_record(CID, R)["flags"]["urgent_safety"] is True  # type: ignore[index]


def test_changing_the_last_feedback_answer(db: str) -> None:
    records.save_answer(CID, R, c.GOALS_MET, "yes")
    slots, responses = answer("actually the last one should be partly", c.CHANCE_TO_SAY,
                              {**OPENED, c.GOALS_MET: "yes"})
    assert "utter_answer_changed" in responses
    assert slots[c.GOALS_MET] == c.PARTLY
    assert slots["requested_slot"] == c.CHANCE_TO_SAY
    assert records.get_record(CID, R)["feedback"]["goals_met"] == c.PARTLY  # type: ignore[index]


def test_changing_the_last_wish_result(db: str) -> None:
    filled = _with_two_wishes()
    records.set_achieved(CID, R, c.ABUSER_STAYS_AWAY, c.FULLY)
    second = records.list_outcomes(CID, R)[1]
    filled.update(current_outcome=c.MAKE_FRIENDS, current_wish=float(second.id),
                  current_wish_words="to make more friends")
    slots, responses = answer("sorry, the last one was only partly", c.OUTCOME_ACHIEVED, filled)
    assert "utter_answer_changed" in responses
    assert slots["requested_slot"] == c.OUTCOME_ACHIEVED
    achieved = {o.code: o.achieved for o in records.list_outcomes(CID, R)}
    assert achieved == {c.ABUSER_STAYS_AWAY: c.PARTLY, c.MAKE_FRIENDS: None}
