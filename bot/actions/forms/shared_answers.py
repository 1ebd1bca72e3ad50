"""The answers every stage shares: the closed questions, being safe, consent, role and carrying on."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import (
    INTENT_ANSWERS,
    confident_intent,
    pressed,
    stage_of,
    visit_of,
)
from bot.actions.forms.contact import Updates
from bot.actions.safety import (
    DETOUR_DANGER,
    respond_to_danger,
)
from bot.language.answers import recognise_answer
from bot.language.outcomes import recognise_outcomes
from bot.language.safety_answers import ASK_AGAIN, read_safety_answer
from bot.language.wishes import carries_a_wish
from bot.store import records

# Questions about being safe: a typed answer is a yes only when it plainly is (bot/language/answers.py).
SAFETY_QUESTIONS = frozenset({c.FEELS_SAFE_NOW, c.SAFETY_CHECK, c.FEEL_SAFE})


class SharedAnswersMixin:
    """Closed answers, the gentle check, consent, the speaker's role and "carry on?"."""

    stage_questions: Any  # provided by StageFormValidation or another of its mixins
    pause: Any  # provided by StageFormValidation or another of its mixins

    def unsafe_answer(self, slot: Text, tracker: Tracker) -> Dict[Text, Text]:
        """Danger said in answer to "are you safe?" (or the gentle check) is a "no" to it, when still open."""
        if slot not in (c.FEELS_SAFE_NOW, c.SAFETY_CHECK):
            return {}
        if c.FEELS_SAFE_NOW not in self.stage_questions(tracker):
            return {}
        if slot != c.FEELS_SAFE_NOW and tracker.get_slot(c.FEELS_SAFE_NOW):
            return {}
        return {c.FEELS_SAFE_NOW: c.NO}

    def fill_feels_safe_now(self, value: Text, tracker: Tracker, asking: Text = c.SAFETY_CHECK) -> Updates:
        """Save "do you feel safe right now?" when this stage asks it and it is still open.

        (While it is the question being asked, its slot holds the person's words, not an answer.)
        """
        if c.FEELS_SAFE_NOW not in self.stage_questions(tracker):
            return {}
        if asking != c.FEELS_SAFE_NOW and tracker.get_slot(c.FEELS_SAFE_NOW):
            return {}
        records.save_answer(tracker.sender_id, stage_of(tracker), c.FEELS_SAFE_NOW, value)
        return {c.FEELS_SAFE_NOW: value}

    def closed_answer(self, slot: Text, text: Text, tracker: Tracker) -> Optional[Text]:
        """A closed question's value: a pressed button's choice, else the recogniser, then a confident intent.

        About being safe, a typed answer is a yes only when it plainly is: any
        other "yes" (a hedge, a worry, sarcasm, a question back) is no answer,
        and the gentle check follows (issue 15). The learned answer reader may
        ask again what the rules read as "no" or "not sure", and read what they
        cannot, but never makes a "yes" (bot/language/safety_answers.py). Only
        the gentle check is asked again as itself (ASK_AGAIN); elsewhere asking
        again is the gentle check.
        """
        kind = c.QUESTION_KIND[slot]
        press = pressed(tracker)
        if press is not None:
            return press if press in c.ANSWER_KINDS[kind] else None
        value = recognise_answer(text, kind)
        if value is None:
            intent = confident_intent(tracker)
            value = INTENT_ANSWERS.get(kind, {}).get(intent or "")
        if slot in SAFETY_QUESTIONS:
            value = read_safety_answer(slot, text, value)
            if value == ASK_AGAIN and slot != c.SAFETY_CHECK:
                return None
        return value


    def answer_carry_on(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        value = self.closed_answer(c.CARRY_ON, text, tracker)
        if value is None and pressed(tracker) is None and self.keeps_a_wish(text, dispatcher, tracker):
            # A wish typed instead of "carry on": it is kept, and it means carry on.
            return {c.CARRY_ON: None, "detour": None}
        if value == c.YES:
            dispatcher.utter_message(response="utter_carry_on_ok")
            return {c.CARRY_ON: None, "detour": None}
        if value == c.NO:
            return self.pause(c.CARRY_ON, tracker)
        return None

    def keeps_a_wish(self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Record the wishes a message carries in the outcomes stage (said at another question)."""
        if stage_of(tracker) != c.STAGE_OUTCOMES or not carries_a_wish(text):
            return False
        wishes = [(m.code, m.own_words) for m in recognise_outcomes(text) if not m.negated]
        added = records.add_outcomes(tracker.sender_id, stage_of(tracker), wishes, visit=visit_of(tracker))
        dispatcher.utter_message(response="utter_wish_noted")
        for code in added:
            if code in c.MAY_NOT_BE_ACHIEVABLE:
                dispatcher.utter_message(response=f"utter_may_not_happen_{code}")
        return True

    def answer_safety_check(
        self, value: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """The gentle check decides: "no" or "not sure" raises the flag and gives the help."""
        updates: Updates = {c.SAFETY_CHECK: None, "detour": None}
        updates.update(self.fill_feels_safe_now(value, tracker))
        if value == c.YES:
            dispatcher.utter_message(response="utter_check_safe_ok")
            return updates
        updates["team_told"] = respond_to_danger(dispatcher, tracker)
        updates["detour"] = DETOUR_DANGER
        return updates

    def answer_consent(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        value = self.closed_answer(c.CONSENT_TO_TALK, text, tracker)
        if value is None:
            return None
        stage = stage_of(tracker)
        records.save_answer(tracker.sender_id, stage, c.CONSENT_TO_TALK, value)
        if value == c.NO:
            records.set_status(tracker.sender_id, stage, c.STATUS_DECLINED)
            return {c.CONSENT_TO_TALK: c.NO, "stage_status": c.STATUS_DECLINED}
        if value == c.LATER:
            return self.pause(c.CONSENT_TO_TALK, tracker)
        return {c.CONSENT_TO_TALK: c.YES}

    def answer_role(self, text: Text, tracker: Tracker) -> Optional[Updates]:
        press = pressed(tracker)
        role = (press if press in c.ROLES else None) if press is not None else recognise_answer(text, "role")
        if role is None:
            return None
        records.save_answer(tracker.sender_id, stage_of(tracker), c.SPEAKER_ROLE, role)
        return {c.SPEAKER_ROLE: role, "for_someone": role != c.ROLE_PERSON}
