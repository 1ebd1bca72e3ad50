"""The check-in stage's questions and its close, without a model: keep, change, add, take away, comment."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from bot import constants as c
from bot.actions.checkin import ActionAskCheckinStillWanted, prepare_checkin
from bot.actions.conversation import ActionCloseStage, ActionStart
from bot.actions.forms.checkin import ValidateCheckinForm
from bot.store import checkins, records
from tests.actions.conftest import make_tracker, run_action, slot_events

FORM = ValidateCheckinForm()
CID = "checkin-1"
HOME = "outcomes-1"
ENQUIRY = "ENQ-CHECKIN-1"
STARTED: Dict[str, Any] = {
    "stage": c.STAGE_CHECKIN, "checkin_home": HOME, "checkin_had_wishes": True, "has_wishes": True,
    c.CONSENT_TO_TALK: c.YES, c.SPEAKER_ROLE: c.ROLE_PERSON, "for_someone": False, "enquiry_ref": ENQUIRY,
}


@pytest.fixture
def home(db: str) -> str:
    """The enquiry's outcomes record, confirmed, with two wishes."""
    records.start_conversation(HOME, c.STAGE_OUTCOMES, ENQUIRY, c.ROLE_PERSON)
    records.add_outcomes(HOME, c.STAGE_OUTCOMES, [(c.POLICE_PROSECUTE, "I want him to go to court"),
                                                  (c.FEEL_SAFER, "I want to feel safe in my flat")])
    records.save_answer(HOME, c.STAGE_OUTCOMES, "confirmed", True)
    records.start_conversation(CID, c.STAGE_CHECKIN, ENQUIRY, c.ROLE_PERSON)
    return HOME


def answer(text: str, requested: str, slots: Dict[str, Any] = STARTED, **kw: Any):  # type: ignore[no-untyped-def]
    events, responses = run_action(FORM, make_tracker(text, requested=requested, slots=slots, sender=CID,
                                                      form="checkin_form", **kw))
    return slot_events(events), responses


def standing() -> set:
    return {o.code for o in records.list_outcomes(HOME, c.STAGE_OUTCOMES)}


def test_the_check_in_finds_the_enquiry_s_outcomes_record(home: str) -> None:
    events = prepare_checkin(make_tracker("", sender=CID, form=None), ENQUIRY)
    slots = {e["name"]: e["value"] for e in events}
    assert slots["checkin_home"] == HOME and slots["checkin_had_wishes"] is True


def test_the_read_back_names_the_wishes_in_plain_words_never_their_own(home: str) -> None:
    tracker = make_tracker("", slots=STARTED, sender=CID, form="checkin_form")
    _, responses = run_action(ActionAskCheckinStillWanted(), tracker)
    assert responses == ["utter_checkin_readback_intro", "utter_checkin_readback_item",
                         "utter_checkin_readback_item", "utter_ask_checkin_still_wanted"]


def test_yes_keeps_the_wishes_and_moves_on_to_feeling_safe(home: str) -> None:
    slots, responses = answer("yes that's still right", c.CHECKIN_STILL_WANTED)
    assert slots[c.CHECKIN_STILL_WANTED] == c.YES
    assert "utter_checkin_kept" in responses
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW
    assert standing() == {c.POLICE_PROSECUTE, c.FEEL_SAFER}


@pytest.mark.parametrize("text", ["no", "I want to change something", "not any more, things have changed"])
def test_a_change_asks_what_to_change(home: str, text: str) -> None:
    slots, _ = answer(text, c.CHECKIN_STILL_WANTED)
    assert standing() == {c.POLICE_PROSECUTE, c.FEEL_SAFER}  # nothing taken away or added yet
    assert slots[c.CHECKIN_STILL_WANTED] == c.CHANGE
    assert slots["correcting"] is True
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES


def test_not_sure_is_a_fair_answer(home: str) -> None:
    slots, responses = answer("I'm not sure", c.CHECKIN_STILL_WANTED)
    assert slots[c.CHECKIN_STILL_WANTED] == c.DONT_KNOW
    assert "utter_checkin_not_sure_ok" in responses
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW


def test_taking_a_wish_away_in_the_answer_keeps_that_answer(home: str) -> None:
    """ "I don't want him prosecuted any more" answers the question AND takes the wish away, marked, kept."""
    slots, responses = answer("I don't want him prosecuted any more", c.CHECKIN_STILL_WANTED)
    assert slots[c.CHECKIN_STILL_WANTED] == c.CHANGE
    assert "utter_wish_removed" in responses
    assert standing() == {c.FEEL_SAFER}
    record = records.get_record(HOME, c.STAGE_OUTCOMES)
    assert record is not None
    gone = [o for o in record["withdrawn_outcomes"] if o["code"] == c.POLICE_PROSECUTE]
    assert gone and gone[0]["withdrawn_at"]


def test_a_new_wish_is_added_to_the_enquiry_s_record_by_this_check_in(home: str) -> None:
    changing = {**STARTED, c.CHECKIN_STILL_WANTED: c.CHANGE, "correcting": True}
    slots, _ = answer("I want to be kept informed about what is happening", c.DESIRED_OUTCOMES, slots=changing)
    assert slots[c.DESIRED_OUTCOMES] is None  # "anything else?"
    assert c.BE_INVOLVED in standing()
    added, withdrawn = checkins.changes_by(HOME, CID)
    assert added == [c.BE_INVOLVED] and withdrawn == []
    slots, _ = answer("no that's all", c.DESIRED_OUTCOMES, slots=changing)
    assert slots[c.DESIRED_OUTCOMES] == "done"
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW


def test_with_no_wishes_on_record_it_asks_what_they_would_like(db: str) -> None:
    fresh = {**STARTED, "checkin_had_wishes": False, "has_wishes": False}
    assert FORM.stage_questions(make_tracker("", slots=fresh, sender=CID))[2] == c.DESIRED_OUTCOMES
    assert c.CHECKIN_STILL_WANTED not in FORM.stage_questions(make_tracker("", slots=fresh, sender=CID))


@pytest.mark.parametrize("text, kept", [("no", None), ("No, nothing else", None),
                                        ("my son has been visiting more and that helps", "my son")])
def test_anything_for_the_team_keeps_the_words(home: str, text: str, kept: Any) -> None:
    done = {**STARTED, c.CHECKIN_STILL_WANTED: c.YES, c.FEELS_SAFE_NOW: c.YES}
    slots, _ = answer(text, c.CHECKIN_COMMENT, slots=done)
    if kept is None:
        assert slots[c.CHECKIN_COMMENT] == "none"
    else:
        assert kept in slots[c.CHECKIN_COMMENT]
    assert slots["requested_slot"] is None


def test_the_close_writes_one_dated_entry_on_the_outcomes_record(home: str) -> None:
    records.withdraw_outcomes(HOME, c.STAGE_OUTCOMES, codes=[c.POLICE_PROSECUTE], withdrawn_in=CID)
    records.add_outcomes(HOME, c.STAGE_OUTCOMES, [(c.BE_INVOLVED, "keep me in the loop")], added_in=CID)
    finished = {**STARTED, c.CHECKIN_STILL_WANTED: c.CHANGE, c.DESIRED_OUTCOMES: "done",
                c.FEELS_SAFE_NOW: c.YES, c.CHECKIN_COMMENT: "he has moved away now"}
    tracker = make_tracker("", slots=finished, sender=CID, form=None)
    _, responses = run_action(ActionCloseStage(), tracker)
    assert responses == ["utter_checkin_thanks"]
    record = records.get_record(HOME, c.STAGE_OUTCOMES)
    assert record is not None and len(record["checkins"]) == 1
    entry = record["checkins"][0]
    assert entry["conversation_id"] == CID and entry["feels_safe_now"] == c.YES
    assert entry["added"] == [c.BE_INVOLVED] and entry["withdrawn"] == [c.POLICE_PROSECUTE]
    assert entry["comment"] == "he has moved away now"
    assert records.get_status(CID, c.STAGE_CHECKIN) == c.STATUS_COMPLETED
    run_action(ActionCloseStage(), tracker)  # a retried close adds no second entry
    again = records.get_record(HOME, c.STAGE_OUTCOMES)
    assert again is not None and len(again["checkins"]) == 1


def test_a_stage_we_do_not_have_is_refused_kindly(db: str) -> None:
    tracker = make_tracker('/start{"stage": "gossip"}', sender="odd-1", form=None,
                           entities=[{"entity": "stage", "value": "gossip"}], intent="start", command=True)
    _, responses = run_action(ActionStart(), tracker)
    assert "utter_cannot_open_now" in responses
    assert records.get_record("odd-1", c.STAGE_OUTCOMES) is None
