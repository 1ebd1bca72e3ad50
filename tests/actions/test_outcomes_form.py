"""The outcomes form's validator, question by question, without a model."""

from __future__ import annotations

import pytest

from bot import constants as c
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events

FORM = ValidateOutcomesForm()
CID = "conv-test"
S = c.STAGE_OUTCOMES
PERSON = {"speaker_role": "person", "for_someone": False}


def answer(text: str, requested: str, **kw):  # type: ignore[no-untyped-def]
    events, responses = run_action(FORM, make_tracker(text, requested=requested, **kw))
    return slot_events(events), responses


@pytest.mark.parametrize("text", ["yes", "Yes", "yeah ok", "yep go on", "ok"])
def test_consent_yes_moves_to_the_next_question(db: str, text: str) -> None:
    slots, _ = answer(text, c.CONSENT_TO_TALK)
    assert slots[c.CONSENT_TO_TALK] == c.YES
    assert slots["requested_slot"] == c.SPEAKER_ROLE
    assert records.get_record(CID, S)["status"] == c.STATUS_IN_PROGRESS  # type: ignore[index]


@pytest.mark.parametrize("text", ["maybe later", "not now", "another time please"])
def test_consent_later_pauses_and_asks_again_next_time(db: str, text: str) -> None:
    slots, _ = answer(text, c.CONSENT_TO_TALK)
    assert slots[c.CONSENT_TO_TALK] is None
    assert slots["stage_status"] == c.STATUS_PAUSED
    assert slots["requested_slot"] is None
    assert records.get_record(CID, S)["status"] == c.STATUS_PAUSED  # type: ignore[index]


def test_consent_no_is_declined(db: str) -> None:
    slots, _ = answer("no", c.CONSENT_TO_TALK)
    assert slots["stage_status"] == c.STATUS_DECLINED
    assert slots["requested_slot"] is None
    assert records.get_record(CID, S)["status"] == c.STATUS_DECLINED  # type: ignore[index]


@pytest.mark.parametrize(
    "text, role",
    [("me", "person"), ("I am his advocate", "advocate"), ("im her daughter", "family_friend")],
)
def test_role_sets_who_the_questions_are_about(db: str, text: str, role: str) -> None:
    slots, _ = answer(text, c.SPEAKER_ROLE, slots={c.CONSENT_TO_TALK: "yes"})
    assert slots[c.SPEAKER_ROLE] == role
    assert slots["for_someone"] is (role != "person")
    # The advocate question is for the person only.
    want = c.WANTS_ADVOCATE if role == "person" else c.DESIRED_OUTCOMES
    slots2, _ = answer(
        "yes", c.FEELS_SAFE_NOW,
        slots={c.CONSENT_TO_TALK: "yes", c.SPEAKER_ROLE: role},
    )
    assert slots2["requested_slot"] == want


def test_not_safe_gives_help_once_flags_at_once_and_asks_to_carry_on(db: str) -> None:
    slots, responses = answer(
        "no, she is shouting at me now", c.FEELS_SAFE_NOW,
        slots={c.CONSENT_TO_TALK: "yes", **PERSON},
    )
    assert responses.count("utter_danger_help") == 1
    assert slots[c.FEELS_SAFE_NOW] == c.NO
    assert slots["detour"] == "danger"
    assert slots["requested_slot"] == c.CONTACT_SAFE_TO_CALL  # how to reach them safely, then carry on
    record = records.get_record(CID, S)
    assert record["flags"]["urgent_safety"] is True  # type: ignore[index]


def test_carry_on_returns_to_the_question_it_left(db: str) -> None:
    filled = {c.CONSENT_TO_TALK: "yes", **PERSON, c.FEELS_SAFE_NOW: "no", "detour": "danger"}
    slots, responses = answer("carry on", c.CARRY_ON, slots=filled)
    assert slots["detour"] is None and slots[c.CARRY_ON] is None
    assert slots["requested_slot"] == c.WANTS_ADVOCATE
    assert "utter_carry_on_ok" in responses


def test_stop_for_now_at_carry_on_pauses(db: str) -> None:
    filled = {c.CONSENT_TO_TALK: "yes", **PERSON, "detour": "danger"}
    slots, _ = answer("stop for now", c.CARRY_ON, slots=filled)
    assert slots["stage_status"] == c.STATUS_PAUSED
    assert slots["requested_slot"] is None
    assert records.get_record(CID, S)["status"] == c.STATUS_PAUSED  # type: ignore[index]


BEFORE_WISHES = {c.CONSENT_TO_TALK: "yes", **PERSON, c.FEELS_SAFE_NOW: "yes",
                 c.WANTS_ADVOCATE: "no"}


def test_several_wishes_in_one_message_keep_own_words(db: str) -> None:
    slots, responses = answer(
        "He wants to be kept informed and he'd like the police to prosecute",
        c.DESIRED_OUTCOMES, slots=BEFORE_WISHES,
    )
    outcomes = {o.code: o for o in records.list_outcomes(CID, S)}
    assert set(outcomes) == {c.BE_INVOLVED, c.POLICE_PROSECUTE}
    assert outcomes[c.POLICE_PROSECUTE].may_not_be_achievable is True
    assert "police" in outcomes[c.POLICE_PROSECUTE].own_words.lower()
    assert "utter_may_not_happen_police_prosecute" in responses
    assert slots["has_wishes"] is True
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES  # "anything else?"


def test_nothing_more_moves_to_the_read_back(db: str) -> None:
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, "I want the hitting to stop")])
    slots, _ = answer("no thats all", c.DESIRED_OUTCOMES,
                      slots={**BEFORE_WISHES, "has_wishes": True})
    assert slots[c.DESIRED_OUTCOMES] == "done"
    assert slots["requested_slot"] == c.OUTCOMES_CONFIRMED


def test_not_sure_is_a_valid_answer(db: str) -> None:
    slots, responses = answer("I'm not sure what I want", c.DESIRED_OUTCOMES, slots=BEFORE_WISHES)
    assert "utter_none_is_ok" in responses
    assert slots["requested_slot"] == c.OUTCOMES_CONFIRMED
    record = records.get_record(CID, S)
    assert record["asked_about_outcomes"] == c.ASKED_NONE_EXPRESSED  # type: ignore[index]
    assert record["outcomes"] == []  # type: ignore[index]


def test_unlisted_wish_is_kept_as_something_else(db: str) -> None:
    answer("I would like my bank card given back to me", c.DESIRED_OUTCOMES, slots=BEFORE_WISHES)
    (outcome,) = records.list_outcomes(CID, S)
    assert outcome.code == c.SOMETHING_ELSE
    assert outcome.own_words == "I would like my bank card given back to me"


def test_read_back_no_lets_the_person_correct_then_confirms(db: str) -> None:
    records.add_outcomes(CID, S, [(c.POLICE_PROSECUTE, "police to charge him"),
                                  (c.ABUSER_STAYS_AWAY, "him to move out")])
    done = {**BEFORE_WISHES, "has_wishes": True, c.DESIRED_OUTCOMES: "done"}
    slots, responses = answer("no", c.OUTCOMES_CONFIRMED, slots=done)
    assert "utter_lets_correct" in responses
    assert slots["correcting"] is True
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES

    correcting = {**done, c.DESIRED_OUTCOMES: None, "correcting": True}
    slots, responses = answer("actually I don't want him prosecuted", c.DESIRED_OUTCOMES,
                              slots=correcting)
    assert "utter_wish_removed" in responses
    # Taking a wish off the list: the same words are not also a new wish for nothing to happen.
    assert [o.code for o in records.list_outcomes(CID, S)] == [c.ABUSER_STAYS_AWAY]

    slots, _ = answer("nothing else", c.DESIRED_OUTCOMES, slots=correcting)
    assert slots["correcting"] is False
    assert slots["requested_slot"] == c.OUTCOMES_CONFIRMED

    slots, _ = answer("yes thats right", c.OUTCOMES_CONFIRMED, slots={**done, "correcting": False})
    assert slots[c.OUTCOMES_CONFIRMED] == c.YES
    assert slots["requested_slot"] is None
    assert records.get_record(CID, S)["confirmed"] is True  # type: ignore[index]


@pytest.mark.parametrize(
    "text, response",
    [("what does that mean?", "utter_explain_feels_safe_now"),
     ("why are you asking me that", "utter_why_feels_safe_now")],
)
def test_explain_and_why_answer_then_ask_again(db: str, text: str, response: str) -> None:
    slots, responses = answer(text, c.FEELS_SAFE_NOW, slots={c.CONSENT_TO_TALK: "yes", **PERSON})
    assert response in responses
    assert slots[c.FEELS_SAFE_NOW] is None
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW


def test_stop_mid_way_pauses_and_keeps_answers(db: str) -> None:
    records.save_answer(CID, S, c.CONSENT_TO_TALK, "yes")
    records.add_outcomes(CID, S, [(c.MAKE_FRIENDS, "make some friends")])
    slots, _ = answer("I want to stop now", c.DESIRED_OUTCOMES,
                      slots={**BEFORE_WISHES, "has_wishes": True})
    assert slots["stage_status"] == c.STATUS_PAUSED and slots["requested_slot"] is None
    record = records.get_record(CID, S)
    assert record["status"] == c.STATUS_PAUSED  # type: ignore[index]
    assert [o["code"] for o in record["outcomes"]] == [c.MAKE_FRIENDS]  # type: ignore[index]


def test_asking_for_a_person_flags_and_offers_to_carry_on(db: str) -> None:
    slots, responses = answer("can I talk to a real person please", c.WANTS_ADVOCATE,
                              slots={c.CONSENT_TO_TALK: "yes", **PERSON, c.FEELS_SAFE_NOW: "yes"})
    assert "utter_human_contact" in responses
    assert slots["requested_slot"] == c.CONTACT_SAFE_TO_CALL  # how to reach them safely, then carry on
    assert records.get_record(CID, S)["flags"]["wants_human_contact"] is True  # type: ignore[index]


def test_advocate_yes_flags_advocacy(db: str) -> None:
    slots, responses = answer("yes please", c.WANTS_ADVOCATE,
                              slots={c.CONSENT_TO_TALK: "yes", **PERSON, c.FEELS_SAFE_NOW: "yes"})
    assert slots[c.WANTS_ADVOCATE] == c.YES
    assert "utter_advocate_explained" in responses
    assert records.get_record(CID, S)["flags"]["advocacy_requested"] is True  # type: ignore[index]


def test_unclear_answers_rephrase_then_explain_then_offer_a_person(db: str) -> None:
    filled = {c.CONSENT_TO_TALK: "yes", c.FEELS_SAFE_NOW: "yes", **PERSON}
    seen = []
    count = 0
    for _ in range(3):
        slots, responses = answer("blorp", c.WANTS_ADVOCATE,
                                  slots={**filled, "unclear_count": count})
        count = slots["unclear_count"]
        seen.append(responses[0])
        assert slots["requested_slot"] == c.WANTS_ADVOCATE
    assert seen == ["utter_unclear", "utter_explain_wants_advocate", "utter_offer_human"]


@pytest.mark.parametrize("text", [
    "blorp", "yeah right", "yes but he's coming back tonight", "i think so", "why do you want to know?",
    "not sure", "he's asleep in the chair", "mostly", "I'd rather not say",
])
def test_are_you_safe_is_yes_only_when_it_plainly_is(db: str, text: str) -> None:
    """Anything but a plain yes or a no gets the gentle check at once; nothing is recorded as yes."""
    slots, responses = answer(text, c.FEELS_SAFE_NOW, slots={c.CONSENT_TO_TALK: "yes", **PERSON})
    if "utter_danger_help" in responses:  # read as danger: the help at once, and a no
        assert slots[c.FEELS_SAFE_NOW] == c.NO
        return
    assert slots.get(c.FEELS_SAFE_NOW) is None, responses
    assert slots["requested_slot"] in (c.SAFETY_CHECK, c.FEELS_SAFE_NOW), slots
    if slots["requested_slot"] == c.FEELS_SAFE_NOW:  # a question back first gets its answer
        assert responses == ["utter_why_feels_safe_now"]
    assert (records.get_record(CID, S) or {}).get("answers", {}).get(c.FEELS_SAFE_NOW) != c.YES


@pytest.mark.parametrize("text", ["yes", "Yes thanks", "i'm safe", "y"])
def test_a_plain_yes_is_yes(db: str, text: str) -> None:
    slots, _ = answer(text, c.FEELS_SAFE_NOW, slots={c.CONSENT_TO_TALK: "yes", **PERSON})
    assert slots[c.FEELS_SAFE_NOW] == c.YES
    assert slots["requested_slot"] == c.WANTS_ADVOCATE


def test_prefilled_slots_pass_through_untouched_on_resume(db: str) -> None:
    """At (re)activation Rasa re-validates filled slots: nothing is said or saved again."""
    tracker = make_tracker("hello again", slots={c.CONSENT_TO_TALK: "yes", **PERSON})
    tracker.events.append({"event": "slot", "name": c.CONSENT_TO_TALK, "value": "yes"})
    events, responses = run_action(FORM, tracker)
    slots = slot_events(events)
    assert slots[c.CONSENT_TO_TALK] == "yes"
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW
    assert responses == []


def test_changing_an_earlier_wish_at_a_later_question(db: str) -> None:
    records.add_outcomes(CID, S, [(c.POLICE_PROSECUTE, "prosecute him"),
                                  (c.FEEL_SAFER, "feel safe")])
    done = {**BEFORE_WISHES, "has_wishes": True, c.DESIRED_OUTCOMES: "done"}
    slots, responses = answer("actually I don't want him prosecuted", c.OUTCOMES_CONFIRMED,
                              slots=done)
    assert "utter_wish_removed" in responses
    assert slots["requested_slot"] == c.OUTCOMES_CONFIRMED
    assert [o.code for o in records.list_outcomes(CID, S)] == [c.FEEL_SAFER]


def test_a_fault_on_our_side_is_kind_and_keeps_the_question(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    records.save_answer(CID, S, c.CONSENT_TO_TALK, "yes")

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(ValidateOutcomesForm, "answer_question", broken)
    slots, responses = answer("yes", c.FEELS_SAFE_NOW, slots={c.CONSENT_TO_TALK: "yes", **PERSON})
    assert responses == ["utter_our_fault"]
    assert slots[c.FEELS_SAFE_NOW] is None
    assert slots["requested_slot"] == c.FEELS_SAFE_NOW
    assert records.get_record(CID, S)["status"] == c.STATUS_IN_PROGRESS  # type: ignore[index]


def test_changing_the_last_answer_to_want_an_advocate(db: str) -> None:
    slots, responses = answer("sorry can I change my last answer to yes please",
                              c.DESIRED_OUTCOMES, slots=BEFORE_WISHES)
    assert slots[c.WANTS_ADVOCATE] == c.YES
    assert "utter_advocate_explained" in responses and "utter_answer_changed" in responses
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES
    record = records.get_record(CID, S)
    assert record["flags"]["advocacy_requested"] is True  # type: ignore[index]
