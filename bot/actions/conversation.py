"""Opening, resuming, pausing and closing a stage, and the read-back."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.checkin import close_checkin, prepare_checkin
from bot.actions.common import (
    council_values,
    in_thread,
    is_client_command,
    kind_on_failure,
    same_visit,
    stage_of,
    start_entities,
)
from bot.actions.forms.review import next_outcome_updates
from bot.actions.phrases import wish_words
from bot.actions.safety import (
    danger_level,
    respond_to_danger,
    respond_to_level,
    show_danger_help,
)
from bot.language.danger import CLEAR, NONE
from bot.store import records

logger = logging.getLogger(__name__)

OPENING_INTRO = "intro"
OPENING_WELCOME_BACK = "welcome_back"
OPENING_FINISHED = "finished"
OPENING_NONE = "none"

# Everything a stage remembers, cleared when the same sender starts another stage.
STAGE_SLOTS = (
    c.CONSENT_TO_TALK,
    c.SPEAKER_ROLE,
    c.FEELS_SAFE_NOW,
    c.WANTS_ADVOCATE,
    c.DESIRED_OUTCOMES,
    c.OUTCOMES_CONFIRMED,
    c.OUTCOME_ACHIEVED,
    *c.FEEDBACK_QUESTIONS,
    c.FEEDBACK_COMMENTS,
    c.CARRY_ON,
    c.SAFETY_CHECK,
    *c.CONTACT_QUESTIONS,
    "current_outcome",
    "current_wish",
    "current_wish_words",
    "detour",
)
STAGE_FLAGS_OFF = ("has_wishes", "correcting", "ask_wishes_first", "for_someone", "contact_done", "team_told")


class ActionStart(Action):
    """Open or resume the conversation named by `/start{...}` (or a plain hello)."""

    def name(self) -> Text:
        return "action_start"

    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        asked = start_entities(tracker)
        is_start_message = bool(asked) or is_client_command(tracker.latest_message)
        detour = tracker.get_slot("detour")
        level = NONE if detour or is_start_message else danger_level(tracker)
        if level == CLEAR:
            show_danger_help(dispatcher, tracker)  # before anything that can fail
        try:
            events = self._start(dispatcher, tracker, asked, level)
            records.save_turn()  # opened and saved, or the person is told it cannot open now
            return events
        except Exception:  # noqa: BLE001 (the person gets a kind answer; help already shown stays)
            logger.exception("could not open the conversation %s", tracker.sender_id)
            if level == CLEAR:
                respond_to_danger(dispatcher, tracker)
            dispatcher.utter_message(response="utter_cannot_open_now", **council_values())
            return [
                ActiveLoop(None),
                SlotSet("requested_slot", None),
                SlotSet("stage_status", c.STATUS_PAUSED),
            ]

    def _start(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, asked: Dict[str, Any], level: str
    ) -> List[EventType]:
        old_stage = tracker.get_slot("stage")
        if asked.get("stage") is not None and asked["stage"] not in c.STAGES:
            raise ValueError("the start message named a stage we do not have")  # a kind answer follows
        stage = asked.get("stage") or old_stage or c.STAGE_OUTCOMES
        events: List[EventType] = [SlotSet("stage", stage), SlotSet("unclear_count", 0)]
        new_stage = old_stage is not None and old_stage != stage
        if new_stage:
            events += [SlotSet(slot, None) for slot in STAGE_SLOTS]
            events += [SlotSet(slot, False) for slot in STAGE_FLAGS_OFF]

        enquiry_ref = asked.get("enquiry_ref") or (
            None if new_stage else tracker.get_slot("enquiry_ref")
        )
        role = _role(asked.get("role")) or (
            None if new_stage else _role(tracker.get_slot(c.SPEAKER_ROLE))
        )
        result = records.start_conversation(tracker.sender_id, stage, enquiry_ref, role)
        events.append(SlotSet("enquiry_ref", enquiry_ref))
        if role:
            events += [SlotSet(c.SPEAKER_ROLE, role), SlotSet("for_someone", role != c.ROLE_PERSON)]

        detour = None if new_stage else tracker.get_slot("detour")
        level_events = respond_to_level(level, dispatcher, tracker)
        events += level_events
        detour = detour or (level_events[0]["value"] if level_events else None)

        opening, stage_status = self._opening(result, detour)
        if result.previous_status == c.STATUS_DECLINED:
            # They said no before and came back: ask again, it is their choice.
            records.set_status(tracker.sender_id, stage, c.STATUS_IN_PROGRESS)
            events.append(SlotSet(c.CONSENT_TO_TALK, None))
        events += [SlotSet("opening", opening), SlotSet("stage_status", stage_status)]

        if stage == c.STAGE_REVIEW and stage_status is None:
            events += self._prepare_review(tracker, enquiry_ref, new_stage)
        if stage == c.STAGE_CHECKIN and stage_status is None:
            events += prepare_checkin(tracker, enquiry_ref)
        return events

    @staticmethod
    def _opening(result: records.StartResult, detour: Optional[Text]) -> tuple:
        if result.created:
            return OPENING_INTRO, None
        if result.previous_status == c.STATUS_COMPLETED:
            return (OPENING_NONE if detour else OPENING_FINISHED), c.STATUS_COMPLETED
        return OPENING_WELCOME_BACK, None

    @staticmethod
    def _prepare_review(
        tracker: Tracker, enquiry_ref: Optional[Text], new_stage: bool
    ) -> List[EventType]:
        """Bring in the enquiry's wishes; with none on record, ask for them first."""
        held = records.copy_outcomes_for_review(tracker.sender_id, enquiry_ref)
        if held == 0:
            return [SlotSet("ask_wishes_first", True)]
        if tracker.get_slot("current_outcome") and not new_stage:
            return []
        first = next_outcome_updates(tracker.sender_id, None, bool(tracker.get_slot("for_someone")))
        return [SlotSet(key, value) for key, value in first.items()]


def _role(value: Any) -> Optional[Text]:
    return value if value in c.ROLES else None


class ActionOpening(Action):
    """Say hello, welcome back, or that we have finished.

    Separate from action_start so that the words are chosen after its slots
    (who is speaking) are set: the domain's role variants then apply.
    """

    def name(self) -> Text:
        return "action_opening"

    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        opening = tracker.get_slot("opening")
        if opening == OPENING_INTRO:
            dispatcher.utter_message(
                response=f"utter_intro_{stage_of(tracker)}", **council_values()
            )
        elif opening == OPENING_WELCOME_BACK:
            dispatcher.utter_message(response="utter_welcome_back")
            self._wishes_so_far(dispatcher, tracker)
        elif opening == OPENING_FINISHED:
            dispatcher.utter_message(response="utter_already_finished")
        return [SlotSet("opening", None)]

    @staticmethod
    def _wishes_so_far(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Back in the outcomes stage with wishes given: how many, never what (it may be someone else)."""
        if stage_of(tracker) != c.STAGE_OUTCOMES:
            return
        count = len(records.list_outcomes(tracker.sender_id, c.STAGE_OUTCOMES))
        if count == 1:
            dispatcher.utter_message(response="utter_welcome_back_one_wish")
        elif count > 1:
            dispatcher.utter_message(response="utter_welcome_back_wishes", count=count)


class ActionAskOutcomesConfirmed(Action):
    """The read-back: every wish in plain words beside the person's own words."""

    def name(self) -> Text:
        return "action_ask_outcomes_confirmed"

    @kind_on_failure
    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        outcomes = records.list_outcomes(tracker.sender_id, stage_of(tracker))
        someone = bool(tracker.get_slot("for_someone"))
        if outcomes:
            dispatcher.utter_message(response="utter_readback_intro")
            for outcome in outcomes:
                if outcome.chosen or not same_visit(outcome.visit, tracker):
                    # Picked with a button (no words of their own), or written in another browser
                    # visit (whoever holds the phone now may not be the person): the code's plain words.
                    dispatcher.utter_message(response="utter_readback_plain",
                                             wish=wish_words(outcome.code, someone))
                else:
                    dispatcher.utter_message(
                        response=f"utter_readback_{outcome.code}", own_words=outcome.own_words
                    )
        else:
            dispatcher.utter_message(response="utter_readback_none")
        dispatcher.utter_message(response="utter_ask_outcomes_confirmed")
        return []


class ActionPause(Action):
    """"Stop" when no question is open: keep everything, say how to come back."""

    def name(self) -> Text:
        return "action_pause"

    @kind_on_failure
    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = respond_to_level(danger_level(tracker), dispatcher, tracker)
        stage = stage_of(tracker)
        status = records.get_status(tracker.sender_id, stage)
        if status in (None, c.STATUS_IN_PROGRESS):
            records.set_status(tracker.sender_id, stage, c.STATUS_PAUSED)
        if status == c.STATUS_COMPLETED:
            dispatcher.utter_message(response="utter_goodbye")
        else:
            dispatcher.utter_message(response="utter_paused")
        return events + [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionCloseStage(Action):
    """After the stage's form: goodbye, paused, or the close that says what happens next."""

    def name(self) -> Text:
        return "action_close_stage"

    @kind_on_failure
    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        cid, stage = tracker.sender_id, stage_of(tracker)
        stage_status = tracker.get_slot("stage_status")
        if stage_status == c.STATUS_PAUSED:
            dispatcher.utter_message(response="utter_paused")
            return []
        if stage_status == c.STATUS_DECLINED:
            dispatcher.utter_message(response="utter_declined_goodbye")
            return []
        if stage_status == c.STATUS_COMPLETED:
            return []
        records.set_status(cid, stage, c.STATUS_COMPLETED)
        if stage == c.STAGE_REVIEW:
            self._review_readback(dispatcher, cid, bool(tracker.get_slot("for_someone")))
            dispatcher.utter_message(response="utter_review_thanks")
        elif stage == c.STAGE_CHECKIN:
            close_checkin(dispatcher, tracker)
        else:
            dispatcher.utter_message(response="utter_close_outcomes")
        return [SlotSet("stage_status", c.STATUS_COMPLETED)]

    @staticmethod
    def _review_readback(dispatcher: CollectingDispatcher, cid: Text, someone: bool) -> None:
        outcomes = [o for o in records.list_outcomes(cid, c.STAGE_REVIEW) if o.achieved]
        if outcomes:
            dispatcher.utter_message(response="utter_review_readback_intro")
            for outcome in outcomes:
                dispatcher.utter_message(response=f"utter_review_item_{outcome.achieved}",
                                         wish=wish_words(outcome.code, someone))
        dispatcher.utter_message(response="utter_review_feedback_noted")
