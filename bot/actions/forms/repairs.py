"""Repairs, whichever stage asks: stop, explain, why, a person, an advocate, skip, and a kind rephrase."""

from __future__ import annotations

from typing import Any, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import (
    confident_intent,
    contact_values,
    stage_of,
)
from bot.actions.forms.contact import NOT_GIVEN, Updates
from bot.actions.safety import (
    DETOUR_CHECK,
    DETOUR_DANGER,
    DETOUR_HUMAN,
    respond_to_advocate_request,
    respond_to_danger,
    respond_to_human_request,
)
from bot.language.answers import recognise_answer
from bot.store import records

# The model alone may call a message a repair only when it is this short.
MODEL_REPAIR_MAX_WORDS = 4

# Repairs the rule-based detector may trust over an answer recogniser: a
# person who says "no, I want to talk to a real person" wants a person.
REPAIRS_BEFORE_ANSWER = frozenset(
    {c.REPAIR_STOP, c.REPAIR_EXPLAIN, c.REPAIR_WHY, c.REPAIR_HUMAN, c.REPAIR_ADVOCATE}
)


class RepairsMixin:
    """What a question does with a message that is a repair rather than an answer."""

    answer: Any  # provided by StageFormValidation or another of its mixins
    answer_safety_check: Any  # provided by StageFormValidation or another of its mixins
    skip_contact: Any  # provided by StageFormValidation or another of its mixins
    closed_answer: Any  # provided by StageFormValidation or another of its mixins

    @staticmethod
    def _is_plain_answer(slot: Text, text: Text) -> bool:
        """A bare "no" or "stop for now" to carry_on is an answer, not a repair."""
        return slot == c.CARRY_ON and recognise_answer(text, "carry_on") is not None

    @staticmethod
    def _intent_repair(tracker: Tracker, text: Text) -> Optional[Text]:
        """The model's repair, for short messages only: a longer one says something of its own."""
        if len(text.split()) > MODEL_REPAIR_MAX_WORDS:
            return None
        intent = confident_intent(tracker)
        return intent if intent in c.REPAIRS else None


    def repair(
        self, repair: Text, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        if repair == c.REPAIR_STOP:
            if slot == c.SAFETY_CHECK:
                # Stopping instead of saying they are safe: we cannot know, so safety first.
                respond_to_danger(dispatcher, tracker)
            return self.pause(slot, tracker)
        if repair == c.REPAIR_EXPLAIN:
            dispatcher.utter_message(response=f"utter_explain_{slot}")
            return {slot: None}
        if repair == c.REPAIR_WHY:
            dispatcher.utter_message(response=f"utter_why_{slot}")
            return {slot: None}
        if repair == c.REPAIR_HUMAN:
            told = respond_to_human_request(dispatcher, tracker)
            if tracker.get_slot("detour") == DETOUR_DANGER or slot in c.CONTACT_QUESTIONS:
                return {slot: None, "team_told": told}  # the danger detour goes on
            return {slot: None, "detour": DETOUR_HUMAN, "team_told": told}
        if repair == c.REPAIR_ADVOCATE:
            respond_to_advocate_request(dispatcher, tracker)
            if slot == c.WANTS_ADVOCATE:
                records.save_answer(tracker.sender_id, stage_of(tracker), slot, c.YES)
                return {slot: c.YES}
            return {slot: None}
        return self.decline(slot, dispatcher, tracker)

    def pause(self, slot: Text, tracker: Tracker) -> Updates:
        """Stopping is never a failure: keep everything, mark the record paused."""
        records.set_status(tracker.sender_id, stage_of(tracker), c.STATUS_PAUSED)
        return {slot: None, "stage_status": c.STATUS_PAUSED, "detour": None, c.CARRY_ON: None}

    def decline(
        self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """"I'd rather not say": recorded as declined where the contract allows it."""
        if slot == c.SAFETY_CHECK:
            return self.answer_safety_check(c.NOT_SURE, dispatcher, tracker) or {slot: None}
        if slot in c.CONTACT_QUESTIONS:
            return self.skip_contact(slot, dispatcher, tracker)
        if slot == c.FEELS_SAFE_NOW:
            return {slot: None, "detour": DETOUR_CHECK}  # not saying is not a yes: the gentle check
        if slot in (c.CARRY_ON,):
            return self.unclear(slot, dispatcher, tracker)
        if slot == c.CONSENT_TO_TALK:
            answered = self.answer(slot, c.NO, dispatcher, tracker)
            return answered or {slot: None}
        dispatcher.utter_message(response="utter_skip_ok")
        return self.skip(slot, tracker)

    def skip(self, slot: Text, tracker: Tracker) -> Updates:
        """Move past a question without an answer; subclasses record `declined`."""
        return {slot: NOT_GIVEN}

    def unclear(
        self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """Rephrase kindly; never the same fallback more than twice, then offer a person."""
        count = int(tracker.get_slot("unclear_count") or 0) + 1
        if count == 1:
            dispatcher.utter_message(response="utter_unclear")
        elif count == 2:
            dispatcher.utter_message(response=f"utter_explain_{slot}")
        else:
            dispatcher.utter_message(response="utter_offer_human", **contact_values())
            count = 0
        return {slot: None, "unclear_count": count}
