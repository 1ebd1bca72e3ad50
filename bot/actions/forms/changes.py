"""Changing an earlier answer or wish at a later question, and what an answer sets off."""

from __future__ import annotations

from typing import Any, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import (
    stage_of,
)
from bot.actions.forms.contact import Updates
from bot.actions.safety import (
    DETOUR_DANGER,
    respond_to_advocate_request,
    respond_to_danger,
)
from bot.language.answers import recognise_answer
from bot.language.outcomes import recognise_outcomes
from bot.store import records

# Closed questions whose answer can be changed at the next question.
CHANGEABLE = frozenset({c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE, c.OUTCOME_ACHIEVED, *c.FEEDBACK_QUESTIONS})


class ChangesMixin:
    """"Actually, for the last one I meant partly", "I don't want him prosecuted now"."""

    stage_questions: Any  # provided by StageFormValidation or another of its mixins

    def changed_earlier_wish(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> bool:
        """"Actually I don't want him prosecuted", said at a later question.

        Only in the outcomes stage: a review asks about wishes already agreed.
        """
        stage = stage_of(tracker)
        if stage != c.STAGE_OUTCOMES or not tracker.get_slot("has_wishes"):
            return False
        recorded = {o.code for o in records.list_outcomes(tracker.sender_id, stage)}
        dropped = [m.code for m in recognise_outcomes(text) if m.negated and m.code in recorded]
        if not dropped:
            return False
        records.remove_outcomes(tracker.sender_id, stage, dropped)
        dispatcher.utter_message(response="utter_wish_removed")
        return True

    def change_earlier_answer(
        self, slot: Text, words: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """"Actually, for the last one I meant partly": change the answer just before."""
        order = self.stage_questions(tracker)
        before = order[: order.index(slot)] if slot in order else []
        previous = next(
            (q for q in reversed(before) if q in CHANGEABLE and tracker.get_slot(q) is not None),
            None,
        )
        cid, stage = tracker.sender_id, stage_of(tracker)
        if slot == c.OUTCOME_ACHIEVED or previous == c.OUTCOME_ACHIEVED:
            return self._change_achieved(slot, words, dispatcher, tracker)
        if previous is None:
            return None
        value = recognise_answer(words, c.QUESTION_KIND[previous])
        if value is None:
            return None
        records.save_answer(cid, stage, previous, value)
        updates: Updates = {previous: value, slot: None}
        updates.update(self.consequences(previous, value, dispatcher, tracker))
        dispatcher.utter_message(response="utter_answer_changed")
        return updates

    def consequences(
        self, question: Text, value: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """What an answer sets off, whether it is given now or changed later."""
        if question == c.FEELS_SAFE_NOW and value == c.NO:
            return {"detour": DETOUR_DANGER, "team_told": respond_to_danger(dispatcher, tracker)}
        if question == c.WANTS_ADVOCATE and value == c.YES:
            respond_to_advocate_request(dispatcher, tracker)
        return {}

    def _change_achieved(
        self, slot: Text, words: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """The wish asked about just before this question."""
        cid = tracker.sender_id
        codes = [o.code for o in records.list_outcomes(cid, c.STAGE_REVIEW)]
        current = tracker.get_slot("current_outcome") if slot == c.OUTCOME_ACHIEVED else None
        index = codes.index(current) if current in codes else len(codes)
        value = recognise_answer(words, "achieved")
        if index == 0 or value is None:
            return None
        records.set_achieved(cid, c.STAGE_REVIEW, codes[index - 1], value)
        dispatcher.utter_message(response="utter_answer_changed")
        return {slot: None}
