"""The outcomes stage: what the person wants to happen, in their own words."""

from __future__ import annotations

from typing import List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import latest_intent, pressed, stage_of, visit_of
from bot.actions.forms.base import DONE, StageFormValidation, Updates
from bot.actions.safety import DETOUR_CHECK, danger_level
from bot.language import readers
from bot.language.danger import CLEAR, POSSIBLE
from bot.language.outcomes import recognise_outcomes
from bot.language.wishes import MORE_TO_SAY, NOT_SURE, NOTHING_MORE, WISHES, read_wishes
from bot.language.withdraw import Withdrawal, withdrawal
from bot.store import records

RESTART_WORDS = ("start again", "start over", "start the list again", "clear the list")

# What the wishes question's buttons stand for (domain/outcomes.yml payloads).
PRESS_WISH = "wish:"  # + an outcome code: "For the hurt to stop" is wish:feel_safer
PRESS_NOTHING_MORE = "nothing_more"
PRESS_MORE = "more"
PRESS_START_AGAIN = "start_again"


class WishesMixin:
    """Collecting wishes: shared by the outcomes stage, a review with none on record, and a check-in."""

    def wish_list(self, tracker: Tracker) -> Tuple[Text, Text]:
        """The record whose wishes this conversation changes: its own (a check-in overrides this)."""
        return tracker.sender_id, stage_of(tracker)

    def answer_wishes(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        cid, stage = self.wish_list(tracker)
        correcting = bool(tracker.get_slot("correcting"))
        standing = records.list_outcomes(cid, stage)
        recorded = {o.code for o in standing}
        press = pressed(tracker)
        if press is not None:
            return self._pressed_wish(press, text, standing, dispatcher, tracker)

        lowered = text.lower()
        if correcting and any(words in lowered for words in RESTART_WORDS):
            return self._start_again(cid, stage, dispatcher, tracker)
        named = withdrawal(text)
        if named is not None:
            return self._withdraw_named(named, standing, dispatcher, tracker)

        intent, confidence = latest_intent(tracker)
        reading = read_wishes(text, intent, confidence, follow_up=bool(recorded), learned=readers.current())
        if reading.kind == NOTHING_MORE or (reading.kind == NOT_SURE and recorded):
            return self._finish(cid, stage, correcting)
        if reading.kind == NOT_SURE:
            records.mark_none_expressed(cid, stage)
            dispatcher.utter_message(response="utter_none_is_ok")
            return self._finish(cid, stage, correcting)
        if reading.kind == MORE_TO_SAY:
            dispatcher.utter_message(response="utter_tell_me_more")
            return {c.DESIRED_OUTCOMES: None}
        if reading.kind != WISHES:
            return None
        if reading.codes == (c.SOMETHING_ELSE,) and danger_level(tracker) in (CLEAR, POSSIBLE):
            return None  # telling us what happens to them is not a wish; the help or check comes instead

        dropped = [code for code in reading.dropped if code in recorded]
        wanted = list(reading.wanted)
        if dropped:
            records.withdraw_outcomes(cid, stage, codes=dropped, withdrawn_in=tracker.sender_id)
            dispatcher.utter_message(response="utter_wish_removed")
            # "I don't want him prosecuted any more" takes a wish off the list; the same
            # words are not also a new wish for nothing to happen.
            wanted = [(code, words) for code, words in wanted
                      if not (code == c.NO_FURTHER_ACTION and words in reading.dropped_words)]
        if wanted:
            return self._record(cid, stage, wanted, dispatcher, correcting, tracker)
        if not dropped:
            if c.POLICE_PROSECUTE in reading.dropped:
                # "I don't want him prosecuted" with nothing on the list yet: they do
                # not want the person punished (msp-reference: no_further_action).
                wish = [(c.NO_FURTHER_ACTION, text.strip())]
                return self._record(cid, stage, wish, dispatcher, correcting, tracker)
            return None  # only took back wishes that were never on the list
        has_wishes = bool(records.list_outcomes(cid, stage))
        return {c.DESIRED_OUTCOMES: None, "has_wishes": has_wishes}

    def _added_in(self, tracker: Tracker) -> Optional[Text]:
        """The conversation that states a wish, when it is not the record's own (a check-in)."""
        return tracker.sender_id if self.wish_list(tracker)[0] != tracker.sender_id else None

    def _pressed_wish(
        self, press: Text, title: Text, standing: List[records.OutcomeView], dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Optional[Updates]:
        """A button at the wishes question: the choice it stands for, never its title as own words."""
        cid, stage = self.wish_list(tracker)
        correcting = bool(tracker.get_slot("correcting"))
        if press == PRESS_NOTHING_MORE:
            return self._finish(cid, stage, correcting)
        if press == PRESS_MORE:
            dispatcher.utter_message(response="utter_tell_me_more")
            return {c.DESIRED_OUTCOMES: None}
        if press == PRESS_START_AGAIN:
            return self._start_again(cid, stage, dispatcher, tracker)
        if press == c.NOT_SURE:
            if not standing:
                records.mark_none_expressed(cid, stage)
                dispatcher.utter_message(response="utter_none_is_ok")
            return self._finish(cid, stage, correcting)
        code = press[len(PRESS_WISH):] if press.startswith(PRESS_WISH) else None
        if code not in c.OUTCOME_CODES:
            return None
        added = records.add_outcomes(cid, stage, [(code, title)], visit=visit_of(tracker), chosen=True,
                                     added_in=self._added_in(tracker))
        self._say_noted(added, dispatcher)
        return {c.DESIRED_OUTCOMES: None, "has_wishes": True, "correcting": correcting}

    @staticmethod
    def _start_again(cid: Text, stage: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        # Every wish so far, kept and marked withdrawn (by this conversation: a check-in's own id).
        records.withdraw_outcomes(cid, stage, withdrawn_in=tracker.sender_id)
        dispatcher.utter_message(response="utter_list_cleared")
        return {c.DESIRED_OUTCOMES: None, "has_wishes": False, "correcting": False}

    def _withdraw_named(
        self, named: Withdrawal, standing: List[records.OutcomeView], dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Updates:
        """ "take off the something else one": the latest wish with that code, or the one at that place.
        """
        cid, stage = self.wish_list(tracker)
        if named.code is not None:
            target = next((o for o in reversed(standing) if o.code == named.code), None)
        elif standing and named.position is not None and -len(standing) <= named.position < len(standing):
            target = standing[named.position]
        else:
            target = None
        if target is None:
            dispatcher.utter_message(response="utter_wish_not_on_list")
            return {c.DESIRED_OUTCOMES: None}
        records.withdraw_outcomes(cid, stage, ids=[target.id], withdrawn_in=tracker.sender_id)
        dispatcher.utter_message(response="utter_wish_removed")
        return {c.DESIRED_OUTCOMES: None, "has_wishes": len(standing) > 1}

    def _record(
        self,
        cid: Text,
        stage: Text,
        wishes: List[tuple],
        dispatcher: CollectingDispatcher,
        correcting: bool,
        tracker: Tracker,
    ) -> Updates:
        added = records.add_outcomes(cid, stage, wishes, visit=visit_of(tracker),
                                     added_in=self._added_in(tracker))
        self._say_noted(added, dispatcher)
        return {c.DESIRED_OUTCOMES: None, "has_wishes": True, "correcting": correcting}

    @staticmethod
    def _say_noted(added: List[str], dispatcher: CollectingDispatcher) -> None:
        hard = [code for code in added if code in c.MAY_NOT_BE_ACHIEVABLE]
        for code in hard:
            dispatcher.utter_message(response=f"utter_may_not_happen_{code}")
        if not hard:
            dispatcher.utter_message(response="utter_wish_noted")

    @staticmethod
    def _finish(cid: Text, stage: Text, correcting: bool) -> Updates:
        records.mark_none_expressed(cid, stage)
        updates: Updates = {c.DESIRED_OUTCOMES: DONE, "correcting": False}
        if correcting:
            updates[c.OUTCOMES_CONFIRMED] = None
        return updates


class ValidateOutcomesForm(WishesMixin, StageFormValidation):
    """Consent, who is speaking, safety, an advocate, the wishes, and the read-back."""

    def name(self) -> Text:
        return "validate_outcomes_form"

    def stage_questions(self, tracker: Tracker) -> List[Text]:
        questions = [c.CONSENT_TO_TALK, c.SPEAKER_ROLE, c.FEELS_SAFE_NOW]
        if tracker.get_slot(c.SPEAKER_ROLE) in (None, c.ROLE_PERSON):
            questions.append(c.WANTS_ADVOCATE)
        return questions + [c.DESIRED_OUTCOMES, c.OUTCOMES_CONFIRMED]

    def answer_question(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        if slot == c.DESIRED_OUTCOMES:
            return self.answer_wishes(text, dispatcher, tracker)
        value = self.closed_answer(slot, text, tracker)
        if slot == c.FEELS_SAFE_NOW and value not in (c.YES, c.NO):
            # Safe only when plainly so: a hedge, a description, a question back, "not sure" or
            # anything unclear gets the gentle check at once, whose answer is recorded here.
            return {slot: None, "detour": DETOUR_CHECK}
        if value is None:
            if slot == c.OUTCOMES_CONFIRMED:
                return self._adjust_at_readback(text, dispatcher, tracker)
            return None
        cid, stage = tracker.sender_id, stage_of(tracker)
        if slot in (c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE):
            records.save_answer(cid, stage, slot, value)
            return {slot: value, **self.consequences(slot, value, dispatcher, tracker)}
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
        if not recognise_outcomes(text) and withdrawal(text) is None:
            return None
        self.answer_wishes(text, dispatcher, tracker)
        return {c.OUTCOMES_CONFIRMED: None}

    def skip(self, slot: Text, tracker: Tracker) -> Updates:
        if slot == c.DESIRED_OUTCOMES:
            records.mark_none_expressed(tracker.sender_id, stage_of(tracker))
            return {slot: DONE}
        return super().skip(slot, tracker)

