"""Opening, resuming, the read-back and closing, without a model."""

from __future__ import annotations

from bot import constants as c
from bot.actions.conversation import (
    ActionAskOutcomesConfirmed,
    ActionCloseStage,
    ActionOpening,
    ActionPause,
    ActionStart,
)
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events

CID = "conv-test"


def start(entities: dict, slots: dict | None = None, text: str = "/start"):  # type: ignore[type-arg]
    ents = [{"entity": k, "value": v} for k, v in entities.items()]
    tracker = make_tracker(text, entities=ents, intent="start", slots=slots or {}, form=None)
    events, responses = run_action(ActionStart(), tracker)
    return slot_events(events), responses


def test_start_opens_a_record_with_the_given_keys(db: str) -> None:
    slots, _ = start({"stage": "outcomes", "enquiry_ref": "NR-1", "role": "advocate"})
    assert slots["stage"] == c.STAGE_OUTCOMES and slots["opening"] == "intro"
    assert slots["speaker_role"] == "advocate" and slots["for_someone"] is True
    record = records.get_record(CID, c.STAGE_OUTCOMES)
    assert record["enquiry_ref"] == "NR-1" and record["speaker_role"] == "advocate"  # type: ignore[index]


def test_opening_words_follow_the_opening_slot(db: str) -> None:
    for opening, response in [("intro", "utter_intro_outcomes"),
                              ("welcome_back", "utter_welcome_back"),
                              ("finished", "utter_already_finished")]:
        tracker = make_tracker("hi", slots={"opening": opening}, form=None)
        _, responses = run_action(ActionOpening(), tracker)
        assert responses == [response]


def test_coming_back_after_a_pause_is_welcomed(db: str) -> None:
    start({"stage": "outcomes"})
    records.set_status(CID, c.STAGE_OUTCOMES, c.STATUS_PAUSED)
    slots, _ = start({}, slots={"stage": "outcomes", "stage_status": "paused"}, text="hi")
    assert slots["opening"] == "welcome_back"
    assert slots["stage_status"] is None
    assert records.get_status(CID, c.STAGE_OUTCOMES) == c.STATUS_IN_PROGRESS


def test_review_brings_in_the_enquiry_wishes(db: str) -> None:
    records.start_conversation("earlier", c.STAGE_OUTCOMES, "E-1")
    records.add_outcomes("earlier", c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "the hitting to stop")])
    records.save_answer("earlier", c.STAGE_OUTCOMES, "confirmed", True)
    slots, _ = start({"stage": "review", "enquiry_ref": "E-1", "role": "person"})
    assert slots["current_outcome"] == c.FEEL_SAFER
    assert slots["current_wish_words"] == "to feel safer"  # the code's plain words, not the own words
    assert slots.get("ask_wishes_first") is not True


def test_review_without_earlier_wishes_asks_for_them(db: str) -> None:
    slots, _ = start({"stage": "review", "enquiry_ref": "NONE-1"})
    assert slots["ask_wishes_first"] is True


def test_read_back_lists_every_wish_with_own_words(db: str) -> None:
    records.add_outcomes(CID, c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "the hitting to stop"),
                                                 (c.MAKE_FRIENDS, "friends")])
    dispatcher_events, responses = run_action(ActionAskOutcomesConfirmed(), make_tracker())
    assert responses == ["utter_readback_intro", "utter_readback_feel_safer",
                         "utter_readback_make_friends", "utter_ask_outcomes_confirmed"]


def test_close_completes_the_record_once(db: str) -> None:
    records.start_conversation(CID, c.STAGE_OUTCOMES)
    events, responses = run_action(ActionCloseStage(), make_tracker(form=None))
    assert responses == ["utter_close_outcomes"]
    assert records.get_status(CID, c.STAGE_OUTCOMES) == c.STATUS_COMPLETED
    _, responses = run_action(
        ActionCloseStage(), make_tracker(form=None, slots={"stage_status": "completed"}))
    assert responses == []


def test_pause_between_questions_keeps_the_record(db: str) -> None:
    records.start_conversation(CID, c.STAGE_OUTCOMES)
    _, responses = run_action(ActionPause(), make_tracker("stop", form=None))
    assert responses == ["utter_paused"]
    assert records.get_status(CID, c.STAGE_OUTCOMES) == c.STATUS_PAUSED
