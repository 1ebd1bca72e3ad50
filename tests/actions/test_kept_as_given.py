"""Issue 15 in the actions, without a model: presses, the two help buttons, wishes kept as given,
own words only in the visit that wrote them, and safe contact after the help."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions import common
from bot.actions.conversation import ActionAskOutcomesConfirmed
from bot.actions.forms import contact
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.actions.forms.review import ValidateReviewForm
from bot.store import alerts, records
from tests.actions.conftest import make_tracker, run_action, slot_events

CID = "conv-test"
S = c.STAGE_OUTCOMES
PERSON = {c.CONSENT_TO_TALK: "yes", c.SPEAKER_ROLE: "person", "for_someone": False}
AT_WISHES = {**PERSON, c.FEELS_SAFE_NOW: "yes", c.WANTS_ADVOCATE: "no"}
FORM = ValidateOutcomesForm()


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = common.load_settings().copy(update={"duty_alert_webhook_url": "http://127.0.0.1:9/hook",
                                                   "duty_alert_email": "", "spool_dir": str(tmp_path / "spool")})
    for where in ("bot.actions.common", "bot.actions.safety", "bot.actions.forms.contact"):
        monkeypatch.setattr(f"{where}.settings", lambda: settings)


def say(text: str, requested: str, slots: Dict[str, Any], *, press: Optional[str] = None,
        visit: Optional[str] = None, command: Optional[str] = None, form: Any = FORM,
        form_name: str = "outcomes_form") -> Tuple[Dict[str, Any], List[str]]:
    metadata: Dict[str, Any] = {}
    if press is not None:
        metadata[c.PRESS_KEY] = press
    if visit is not None:
        metadata[c.VISIT_KEY] = visit
    tracker = make_tracker(text, requested=requested, slots=slots, metadata=metadata, form=form_name,
                           intent=command, command=command is not None)
    events, responses = run_action(form, tracker)
    return slot_events(events), responses


# --- a button's title is not a wish ------------------------------------------------------------

def test_a_wish_button_records_its_choice_never_its_title(db: str) -> None:
    slots, responses = say("For the hurt to stop", c.DESIRED_OUTCOMES, AT_WISHES, press="wish:feel_safer")
    (wish,) = records.list_outcomes(CID, S)
    assert (wish.code, wish.own_words, wish.chosen) == (c.FEEL_SAFER, "", True)
    assert "utter_wish_noted" in responses and slots["has_wishes"] is True


@pytest.mark.parametrize("title, press", [("Yes, something else", "more"), ("No, that's all", "nothing_more")])
def test_the_anything_else_buttons_are_no_wishes(db: str, title: str, press: str) -> None:
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, "for the hitting to stop")])
    slots, responses = say(title, c.DESIRED_OUTCOMES, {**AT_WISHES, "has_wishes": True}, press=press)
    assert [o.own_words for o in records.list_outcomes(CID, S)] == ["for the hitting to stop"]
    if press == "more":
        assert responses == ["utter_tell_me_more"] and slots[c.DESIRED_OUTCOMES] is None
    else:
        assert slots[c.DESIRED_OUTCOMES] == "done"


def test_a_press_for_another_question_is_not_guessed_at(db: str) -> None:
    slots, responses = say("For the hurt to stop", c.CONSENT_TO_TALK, {}, press="wish:feel_safer")
    assert responses == ["utter_press_again"]
    assert slots["requested_slot"] == c.CONSENT_TO_TALK and records.list_outcomes(CID, S) == []


def test_answer_buttons_answer_their_question(db: str) -> None:
    slots, _ = say("It's me. This is about me.", c.SPEAKER_ROLE, {c.CONSENT_TO_TALK: "yes"}, press="person")
    assert slots[c.SPEAKER_ROLE] == c.ROLE_PERSON
    slots, _ = say("Yes", c.FEELS_SAFE_NOW, PERSON, press="yes")
    assert slots[c.FEELS_SAFE_NOW] == c.YES


# --- the two buttons on every chat screen ------------------------------------------------------

def test_i_am_not_safe_is_clear_danger_at_any_question(db: str, channels: None) -> None:
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, "for it to stop")])
    slots, responses = say("/danger", c.DESIRED_OUTCOMES, {**AT_WISHES, "has_wishes": True},
                           command=c.INTENT_DANGER, press=c.COMMAND_NOT_SAFE)
    assert responses[:2] == ["utter_danger_help", "utter_danger_alert_sent"]
    assert slots["detour"] == "danger" and slots[c.DESIRED_OUTCOMES] is None
    assert slots["requested_slot"] == c.CONTACT_SAFE_TO_CALL
    assert [o.own_words for o in records.list_outcomes(CID, S)] == ["for it to stop"]  # nothing lost
    (alert,) = alerts.list_alerts()
    assert alert.kind == c.FLAG_URGENT_SAFETY
    record = records.get_record(CID, S)
    assert record is not None and record["flags"]["urgent_safety"] is True


def test_i_am_not_safe_answers_are_you_safe_with_no(db: str, channels: None) -> None:
    slots, responses = say("/danger", c.FEELS_SAFE_NOW, PERSON, command=c.INTENT_DANGER)
    assert responses[0] == "utter_danger_help" and slots[c.FEELS_SAFE_NOW] == c.NO


def test_i_want_to_talk_to_a_person_then_back_to_the_question(db: str, channels: None) -> None:
    slots, responses = say("/ask_human", c.WANTS_ADVOCATE, {**PERSON, c.FEELS_SAFE_NOW: "yes"},
                           command=c.REPAIR_HUMAN)
    assert responses[:2] == ["utter_human_contact", "utter_human_alert_sent"]
    assert slots["detour"] == "human" and slots["requested_slot"] == c.CONTACT_SAFE_TO_CALL
    (alert,) = alerts.list_alerts()
    assert alert.kind == c.FLAG_WANTS_HUMAN_CONTACT


def test_each_danger_message_stores_an_alert_of_its_own(db: str, channels: None) -> None:
    """While the first alert is open, another danger message is a follow-up: the words are true twice."""
    for _ in range(2):
        _, responses = say("he's back and he's got a knife", c.WANTS_ADVOCATE,
                           {**PERSON, c.FEELS_SAFE_NOW: "yes"})
        assert "utter_danger_alert_sent" in responses
    first, second = sorted(alerts.list_alerts(), key=lambda a: a.id)
    assert second.follows_alert_id == first.id and second.reason == c.ALERT_REASON_AGAIN


# --- nothing that was read is dropped ----------------------------------------------------------

def test_a_messy_wish_keeps_every_part(db: str) -> None:
    say("i just want him to stop coming round and take my money and i want to be told whats happening",
        c.DESIRED_OUTCOMES, AT_WISHES)
    words = " | ".join(o.own_words for o in records.list_outcomes(CID, S))
    assert "take my money" in words and "told whats happening" in words


def test_take_off_the_something_else_one(db: str) -> None:
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, "for it to stop"), (c.SOMETHING_ELSE, "a new kitchen")])
    slots, responses = say("take off the something else one", c.DESIRED_OUTCOMES,
                           {**AT_WISHES, "has_wishes": True})
    assert responses == ["utter_wish_removed"]
    assert [o.code for o in records.list_outcomes(CID, S)] == [c.FEEL_SAFER]
    record = records.get_record(CID, S)
    assert record is not None and [w["code"] for w in record["withdrawn_outcomes"]] == [c.SOMETHING_ELSE]


def test_can_you_explain_that_again_is_no_wish(db: str) -> None:
    _, responses = say("can you explain that again", c.DESIRED_OUTCOMES, AT_WISHES)
    assert responses == ["utter_explain_desired_outcomes"] and records.list_outcomes(CID, S) == []


def test_a_wish_typed_at_carry_on_is_kept_and_means_carry_on(db: str) -> None:
    slots, responses = say("i want him to stay away from me", c.CARRY_ON, {**PERSON, "detour": "danger",
                                                                       "contact_done": True})
    assert [o.code for o in records.list_outcomes(CID, S)] == [c.ABUSER_STAYS_AWAY]
    assert slots["detour"] is None and "utter_wish_noted" in responses


# --- own words only in the visit that wrote them -----------------------------------------------

def _readback(visit: Optional[str]) -> List[Dict[str, Any]]:
    tracker = make_tracker("no that's all", slots={**AT_WISHES, "has_wishes": True},
                           metadata={c.VISIT_KEY: visit} if visit else {})
    dispatcher = CollectingDispatcher()
    import asyncio

    asyncio.run(ActionAskOutcomesConfirmed().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_own_words_are_read_back_only_in_the_visit_that_wrote_them(db: str) -> None:
    say("i want him to move out", c.DESIRED_OUTCOMES, AT_WISHES, visit="visit-one")
    same = _readback("visit-one")
    assert any(m.get("own_words") == "i want him to move out" for m in same)
    other = _readback("visit-two")
    assert not any("i want him to move out" in str(m) for m in other)
    assert any(m.get("response") == "utter_readback_plain" and m.get("wish") == "the person who hurt you to stay away"
               for m in other)


def test_the_review_asks_in_the_codes_plain_words(db: str) -> None:
    records.add_outcomes("before", S, [(c.ABUSER_STAYS_AWAY, "i want him to move out")])
    records.start_conversation("before", S, "E-9")
    records.save_answer("before", S, "confirmed", True)
    records.copy_outcomes_for_review(CID, "E-9")
    from bot.actions.forms.review import next_outcome_updates

    first = next_outcome_updates(CID, None)
    assert first["current_wish_words"] == "the person who hurt you to stay away"
    assert "move out" not in str(first)


# --- safe contact, once, after the help --------------------------------------------------------

def test_not_safe_to_call_asks_nothing_more(db: str) -> None:
    slots, responses = say("no", c.CONTACT_SAFE_TO_CALL, {**PERSON, "detour": "danger"})
    assert responses == ["utter_contact_no_calls"]
    assert slots["contact_done"] is True and slots["requested_slot"] == c.CARRY_ON
    record = records.get_record(CID, S)
    assert record is not None and record["safe_contact"]["safe_to_call"] == c.NO


def test_the_safe_contact_answers_are_kept_in_the_persons_words(db: str, channels: None) -> None:
    slots = {**PERSON, "detour": "danger", "team_told": True}
    for question, text, press in [
        (c.CONTACT_SAFE_TO_CALL, "yes", None),
        (c.CONTACT_WHEN, "after 3pm when he's at the pub", None),
        (c.CONTACT_NUMBER, "07700 900123", None),
        (c.CONTACT_OTHERS_ANSWER, "No", "no"),
        (c.CONTACT_IF_MISSED, "Do not leave a message", "no_message"),
    ]:
        updates, responses = say(text, question, slots, press=press)
        slots.update({k: v for k, v in updates.items() if k != "requested_slot"})
    assert slots["contact_done"] is True and updates["requested_slot"] == c.CARRY_ON
    assert any(r.startswith("utter_contact_expect_") for r in responses)
    record = records.get_record(CID, S)
    assert record is not None
    assert record["safe_contact"] == {
        "safe_to_call": "yes", "when": "after 3pm when he's at the pub", "number": "07700 900123",
        "others_may_answer": "no", "if_call_missed": "no_message",
        "answered_at": record["safe_contact"]["answered_at"],
    }


def test_safe_contact_is_asked_once(db: str) -> None:
    slots, _ = say("he's got a knife", c.WANTS_ADVOCATE,
                   {**PERSON, c.FEELS_SAFE_NOW: "yes", "contact_done": True})
    assert slots["requested_slot"] == c.CARRY_ON


@pytest.mark.parametrize("when, told, expected", [
    (datetime(2026, 12, 7, 10, 30, tzinfo=ZoneInfo("Europe/London")), True, "utter_contact_expect_in_hours"),
    (datetime(2026, 12, 7, 22, 0, tzinfo=ZoneInfo("Europe/London")), True, "utter_contact_expect_out_of_hours"),
    (datetime(2026, 12, 5, 10, 30, tzinfo=ZoneInfo("Europe/London")), True, "utter_contact_expect_out_of_hours"),
    (datetime(2026, 12, 7, 10, 30, tzinfo=ZoneInfo("Europe/London")), False, "utter_contact_call_us"),
])
def test_when_to_expect_a_call_is_only_what_is_true(when: datetime, told: bool, expected: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("x", slots={"team_told": told})
    contact.SafeContactMixin.tell_when_to_expect(dispatcher, tracker, now=when)
    assert [m["response"] for m in dispatcher.messages] == [expected]


# --- "Do you feel as safe as you want to feel?" at the review -----------------------------------

@pytest.mark.parametrize("text, kept", [("no", c.NO), ("a bit", c.PARTLY), ("yeah right", None)])
def test_feel_safe_other_than_a_plain_yes_offers_the_help_and_the_check(db: str, text: str,
                                                                       kept: Optional[str]) -> None:
    review = {"stage": c.STAGE_REVIEW, **PERSON, **{q: "yes" for q in c.FEEDBACK_QUESTIONS[:4]}}
    slots, responses = say(text, c.FEEL_SAFE, review, form=ValidateReviewForm(), form_name="review_form")
    assert "utter_feel_safe_help" in responses
    assert slots[c.FEEL_SAFE] == kept and slots["requested_slot"] == c.SAFETY_CHECK


# --- the learned reader's tiers in a conversation ------------------------------------------------

class _StubReaders:
    """Learned readers that read every message as possible danger of one kind (no model loaded)."""

    version = "readers-stub"
    wishes = None
    manifest: Dict[str, Any] = {}

    def __init__(self, tier: str, p: float = 0.5, kind: str = "medical_emergency",
                 meaning: Optional[Dict[str, float]] = None) -> None:
        from bot.language.readers import DangerScore

        self.score = DangerScore(p, tier, kind, 0.9, 0.1)
        self.meaning = meaning or {}

    def danger_score(self, text: str) -> Any:
        return self.score

    def answer_p(self, family: str, text: str) -> Dict[str, float]:
        return dict(self.meaning)

    def answer_thresholds(self, family: str) -> Dict[str, float]:
        return {"again": 0.6, "label": 0.7} if self.meaning else {}


@pytest.fixture
def learned(monkeypatch: pytest.MonkeyPatch) -> Any:
    from bot.actions import safety
    from bot.language import readers

    def use(tier: str, **kwargs: Any) -> None:
        readers.use(_StubReaders(tier, **kwargs))  # type: ignore[arg-type]
        safety._learned.cache_clear()

    yield use
    readers.use(None)
    safety._learned.cache_clear()


def test_a_plain_answer_the_reader_alone_doubts_is_kept_and_marked_for_review(db: str, learned: Any) -> None:
    from bot.language.readers import POSSIBLE

    learned(POSSIBLE)
    slots, responses = say("yes I am", c.FEELS_SAFE_NOW, PERSON)
    assert slots[c.FEELS_SAFE_NOW] == c.YES and slots["requested_slot"] == c.WANTS_ADVOCATE
    record = records.get_record(CID, S)
    assert record is not None and [m["tier"] for m in record["marks"]] == [c.MARK_REVIEW]


def test_the_reader_alone_asks_the_gentle_check_for_words_that_are_no_answer(db: str, learned: Any) -> None:
    from bot.language.readers import POSSIBLE

    learned(POSSIBLE)
    slots, _ = say("my chest feels tight and my arm is numb", c.WANTS_ADVOCATE, {**PERSON, c.FEELS_SAFE_NOW: "yes"})
    assert slots["requested_slot"] == c.SAFETY_CHECK


def test_the_help_fits_the_kind_of_danger(db: str, channels: None, learned: Any) -> None:
    from bot.language.readers import CLEAR

    learned(CLEAR, p=0.95)
    _, responses = say("my chest hurts and i cant feel my arm", c.WANTS_ADVOCATE,
                       {**PERSON, c.FEELS_SAFE_NOW: "yes"})
    assert responses[0] == "utter_danger_help_medical_emergency"
    assert "utter_danger_alert_sent" in responses


# --- the learned answer reader: never a yes, but asks again what it reads as yes -----------------

READS_YES = {"yes": 0.9, "no": 0.05, "not_sure": 0.05}
READS_NOT_SURE = {"yes": 0.1, "no": 0.1, "not_sure": 0.8}


def test_a_no_the_answer_reader_reads_as_yes_gets_the_gentle_check_not_the_alarm(db: str, learned: Any) -> None:
    from bot.language.readers import NONE

    learned(NONE, p=0.0, meaning=READS_YES)
    slots, responses = say("nobody is hurting me now", c.FEELS_SAFE_NOW, PERSON)
    assert slots["requested_slot"] == c.SAFETY_CHECK and slots[c.FEELS_SAFE_NOW] is None
    assert not any(r.startswith("utter_danger_help") for r in responses)
    assert (records.get_record(CID, S) or {}).get("answers", {}).get(c.FEELS_SAFE_NOW) is None


def test_more_than_a_plain_yes_to_the_gentle_check_is_asked_once_more_then_counts_as_not_sure(
        db: str, learned: Any) -> None:
    from bot.language.readers import NONE

    learned(NONE, p=0.0, meaning=READS_YES)
    check = {**PERSON, "detour": "check"}
    slots, responses = say("Yes, I'm safe, honestly", c.SAFETY_CHECK, check)
    assert responses[0] == "utter_check_again" and slots["requested_slot"] == c.SAFETY_CHECK
    assert not any(r.startswith("utter_danger_help") for r in responses)
    # Asked once more: words again (not a press) are "not sure", and the help comes.
    slots, responses = say("yes I'm safe honestly I said", c.SAFETY_CHECK, {**check, "unclear_count": 1})
    assert any(r.startswith("utter_danger_help") for r in responses)
    assert slots[c.FEELS_SAFE_NOW] == c.NOT_SURE


def test_the_answer_reader_never_makes_a_yes(db: str, learned: Any) -> None:
    from bot.language.readers import NONE

    learned(NONE, p=0.0, meaning={"yes": 0.99, "no": 0.005, "not_sure": 0.005})
    for text in ("i reckon im alright now he went", "yeah safe as houses with him here lol"):
        slots, _ = say(text, c.FEELS_SAFE_NOW, PERSON)
        assert slots[c.FEELS_SAFE_NOW] != c.YES


def test_an_answer_the_rules_cannot_read_takes_the_readers_reading_when_it_is_not_yes(
        db: str, learned: Any) -> None:
    from bot.language.readers import NONE

    learned(NONE, p=0.0, meaning=READS_NOT_SURE)
    slots, _ = say("dunno really, depends on the day", c.FEELS_SAFE_NOW, PERSON)
    assert slots["requested_slot"] == c.SAFETY_CHECK  # not sure: the gentle check


def test_a_yes_only_the_danger_reader_reads_as_danger_gets_the_gentle_check(db: str, learned: Any) -> None:
    from bot.language.readers import CLEAR

    learned(CLEAR, p=0.9, meaning=READS_YES)
    slots, responses = say("i am safe he cant get me here", c.FEELS_SAFE_NOW, PERSON)
    assert slots["requested_slot"] == c.SAFETY_CHECK
    assert not any(r.startswith("utter_danger_help") for r in responses)


def test_danger_the_rules_see_is_the_help_at_once_whatever_the_answer_reader_says(
        db: str, channels: None, learned: Any) -> None:
    from bot.language.readers import CLEAR

    learned(CLEAR, p=0.9, meaning=READS_YES, kind="violence_abuse_now")
    slots, responses = say("yes but he's got a knife and he's coming at me", c.FEELS_SAFE_NOW, PERSON)
    assert any(r.startswith("utter_danger_help") for r in responses)
    assert slots[c.FEELS_SAFE_NOW] == c.NO
