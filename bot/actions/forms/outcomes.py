"""The outcomes stage: what the person wants to happen, in their own words."""

from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import confident_intent, stage_of
from bot.actions.forms.base import DONE, StageFormValidation, Updates
from bot.actions.safety import respond_to_advocate_request, respond_to_danger
from bot.language.answers import is_nothing_more, is_not_sure
from bot.language.outcomes import recognise_outcomes
from bot.store import records

# A message this short that names no wish is not a wish ("hmm", "ok").
MIN_WORDS_FOR_OWN_WISH = 3
RESTART_WORDS = ("start again", "start over", "start the list again", "clear the list")


class WishesMixin:
    """Collecting wishes: shared by the outcomes stage and a review with none on record."""

    def answer_wishes(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        cid, stage = tracker.sender_id, stage_of(tracker)
        correcting = bool(tracker.get_slot("correcting"))
        recorded = {o.code for o in records.list_outcomes(cid, stage)}
        lowered = text.lower()

        if correcting and any(words in lowered for words in RESTART_WORDS):
            records.remove_outcomes(cid, stage, recorded)
            dispatcher.utter_message(response="utter_list_cleared")
            return {c.DESIRED_OUTCOMES: None, "has_wishes": False, "correcting": False}

        mentions = recognise_outcomes(text)
        wanted = [m for m in mentions if not m.negated]
        dropped = [m.code for m in mentions if m.negated and m.code in recorded]
        if not wanted and not dropped:
            intent = confident_intent(tracker) or ""
            if intent.startswith(c.WISH_INTENT_PREFIX) and not is_nothing_more(text):
                return self._record(cid, stage, [(intent[len(c.WISH_INTENT_PREFIX) :], text)],
                                    dispatcher, correcting)
            if is_nothing_more(text) or (recorded and is_not_sure(text)):
                return self._finish(cid, stage, correcting)
            if is_not_sure(text):
                records.mark_none_expressed(cid, stage)
                dispatcher.utter_message(response="utter_none_is_ok")
                return self._finish(cid, stage, correcting)
            if intent == c.INTENT_AFFIRM:
                dispatcher.utter_message(response="utter_tell_me_more")
                return {c.DESIRED_OUTCOMES: None}
            if len(text.split()) >= MIN_WORDS_FOR_OWN_WISH and not _is_question(text):
                return self._record(cid, stage, [(c.SOMETHING_ELSE, text)], dispatcher, correcting)
            return None

        if dropped:
            records.remove_outcomes(cid, stage, dropped)
            dispatcher.utter_message(response="utter_wish_removed")
        if wanted:
            return self._record(
                cid, stage, [(m.code, m.own_words) for m in wanted], dispatcher, correcting
            )
        has_wishes = bool(records.list_outcomes(cid, stage))
        return {c.DESIRED_OUTCOMES: None, "has_wishes": has_wishes}

    def _record(
        self,
        cid: Text,
        stage: Text,
        wishes: List[tuple],
        dispatcher: CollectingDispatcher,
        correcting: bool,
    ) -> Updates:
        added = records.add_outcomes(cid, stage, wishes)
        hard = [code for code in added if code in c.MAY_NOT_BE_ACHIEVABLE]
        for code in hard:
            dispatcher.utter_message(response=f"utter_may_not_happen_{code}")
        if not hard:
            dispatcher.utter_message(response="utter_wish_noted")
        return {c.DESIRED_OUTCOMES: None, "has_wishes": True, "correcting": correcting}

    @staticmethod
    def _finish(cid: Text, stage: Text, correcting: bool) -> Updates:
        records.mark_none_expressed(cid, stage)
        updates: Updates = {c.DESIRED_OUTCOMES: DONE, "correcting": False}
        if correcting:
            updates[c.OUTCOMES_CONFIRMED] = None
        return updates


def _is_question(text: Text) -> bool:
    return text.rstrip().endswith("?")


class ValidateOutcomesForm(WishesMixin, StageFormValidation):
    """Consent, who is speaking, safety, an advocate, the wishes, and the read-back."""

    def name(self) -> Text:
        return "validate_outcomes_form"

    def stage_questions(self, tracker: Tracker) -> List[Text]:
        questions = [c.CONSENT_TO_TALK, c.SPEAKER_ROLE, c.FEELS_SAFE_NOW]
        if tracker.get_slot(c.SPEAKER_ROLE) in (None, c.ROLE_PERSON):
            questions.append(c.WANTS_ADVOCATE)
        return questions + [c.DESIRED_OUTCOMES, c.OUTCOMES_CONFIRMED]

    def answer(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        if slot == c.CARRY_ON:
            return self.answer_carry_on(text, dispatcher, tracker)
        if slot == c.CONSENT_TO_TALK:
            return self.answer_consent(text, dispatcher, tracker)
        if slot == c.SPEAKER_ROLE:
            return self.answer_role(text, tracker)
        if slot == c.DESIRED_OUTCOMES:
            return self.answer_wishes(text, dispatcher, tracker)
        value = self.closed_answer(slot, text, tracker)
        if value is None:
            if slot == c.OUTCOMES_CONFIRMED:
                return self._adjust_at_readback(text, dispatcher, tracker)
            return None
        cid, stage = tracker.sender_id, stage_of(tracker)
        if slot == c.FEELS_SAFE_NOW:
            records.save_answer(cid, stage, slot, value)
            if value == c.NO and tracker.get_slot("detour") != "danger":
                if not _danger_already_answered(dispatcher):
                    respond_to_danger(dispatcher, tracker)
                return {slot: value, "detour": "danger"}
            if value == c.NOT_SURE:
                dispatcher.utter_message(response="utter_not_sure_safe")
            return {slot: value}
        if slot == c.WANTS_ADVOCATE:
            records.save_answer(cid, stage, slot, value)
            if value == c.YES:
                respond_to_advocate_request(dispatcher, tracker)
            return {slot: value}
        if slot == c.OUTCOMES_CONFIRMED:
            if value == c.YES:
                records.save_answer(cid, stage, "confirmed", True)
                return {slot: c.YES}
            records.save_answer(cid, stage, "confirmed", False)
            dispatcher.utter_message(response="utter_lets_correct")
            return {slot: None, c.DESIRED_OUTCOMES: None, "correcting": True}
        return None

    def _adjust_at_readback(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """A wish added or taken off at the read-back: change it, then read back again."""
        if not recognise_outcomes(text):
            return None
        self.answer_wishes(text, dispatcher, tracker)
        return {c.OUTCOMES_CONFIRMED: None}

    def skip(self, slot: Text, tracker: Tracker) -> Updates:
        if slot == c.DESIRED_OUTCOMES:
            records.mark_none_expressed(tracker.sender_id, stage_of(tracker))
            return {slot: DONE}
        return super().skip(slot, tracker)


def _danger_already_answered(dispatcher: CollectingDispatcher) -> bool:
    return any(m.get("response") == "utter_danger_help" for m in dispatcher.messages)
