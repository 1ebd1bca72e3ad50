"""The check-in stage: during the enquiry, is what the person wants still what they want?

A check-in reads back the wishes that stand (in the codes' plain words: the own
words were written in another visit), asks whether that is still what they would
like, lets them add or take away wishes, asks whether they feel safe right now,
and whether there is anything the team should know. The wishes it changes are
the enquiry's outcomes record's (`checkin_home`), never a list of its own: one
record of what the person wants, with its history.
"""

from __future__ import annotations

from typing import List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import confident_intent, pressed, stage_of
from bot.actions.forms.base import DONE, StageFormValidation, Updates
from bot.actions.forms.outcomes import WishesMixin
from bot.actions.safety import DETOUR_CHECK
from bot.language.answers import is_not_sure, is_nothing_more
from bot.language.outcomes import recognise_outcomes
from bot.language.withdraw import withdrawal
from bot.store import records

NO_COMMENT = "none"
MODEL_NO_COMMENT_MAX_WORDS = 2
# checkin_still_wanted: what the person said about the wishes read back to them.
KEEP, CHANGE = c.YES, c.CHANGE


class ValidateCheckinForm(WishesMixin, StageFormValidation):
    """Still what they want (keep, change, add, take away), safe right now, anything for the team."""

    def name(self) -> Text:
        return "validate_checkin_form"

    def wish_list(self, tracker: Tracker) -> Tuple[Text, Text]:
        """The enquiry's outcomes record, found when the check-in opened (action_start)."""
        return str(tracker.get_slot("checkin_home") or tracker.sender_id), c.STAGE_OUTCOMES

    def stage_questions(self, tracker: Tracker) -> List[Text]:
        questions = [c.CONSENT_TO_TALK, c.SPEAKER_ROLE]
        if tracker.get_slot("checkin_had_wishes"):
            questions.append(c.CHECKIN_STILL_WANTED)
        if not tracker.get_slot("checkin_had_wishes") or tracker.get_slot(c.CHECKIN_STILL_WANTED) == CHANGE:
            questions.append(c.DESIRED_OUTCOMES)
        return questions + [c.FEELS_SAFE_NOW, c.CHECKIN_COMMENT]

    def answer_question(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        if slot == c.DESIRED_OUTCOMES:
            return self.answer_wishes(text, dispatcher, tracker)
        if slot == c.CHECKIN_STILL_WANTED:
            return self.answer_still_wanted(text, dispatcher, tracker)
        if slot == c.CHECKIN_COMMENT:
            return self.answer_comment(text, tracker)
        value = self.closed_answer(slot, text, tracker)
        if slot == c.FEELS_SAFE_NOW:
            if value not in (c.YES, c.NO):
                # Safe only when plainly so: anything else gets the gentle check at once.
                return {slot: None, "detour": DETOUR_CHECK}
            records.save_answer(tracker.sender_id, stage_of(tracker), slot, value)
            return {slot: value, **self.consequences(slot, value, dispatcher, tracker)}
        return None

    def answer_still_wanted(
        self, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """Keep the wishes, or change them. A message that already changes them is the change, kept.

        "I want to change something" is the change, not a wish: only a wish taken
        away, or a wish named (not "something"), in a message that is not a yes,
        goes to the wishes at once.
        """
        press = pressed(tracker)
        value = self.closed_answer(c.CHECKIN_STILL_WANTED, text, tracker)
        matches = recognise_outcomes(text) if press is None else []
        takes_away = press is None and (withdrawal(text) is not None or any(m.negated for m in matches))
        names_one = any(not m.negated and m.code != c.SOMETHING_ELSE for m in matches) and value != c.YES
        if takes_away or names_one:
            changed = self.answer_wishes(text, dispatcher, tracker)
            if changed is not None:
                return {**changed, c.CHECKIN_STILL_WANTED: CHANGE, "correcting": True}
        if press == c.NOT_SURE or (press is None and is_not_sure(text)):
            dispatcher.utter_message(response="utter_checkin_not_sure_ok")
            return {c.CHECKIN_STILL_WANTED: c.DONT_KNOW}
        if value is None:
            return None
        if value == c.YES:
            dispatcher.utter_message(response="utter_checkin_kept")
            return {c.CHECKIN_STILL_WANTED: KEEP}
        return {c.CHECKIN_STILL_WANTED: CHANGE, "correcting": True, c.DESIRED_OUTCOMES: None}

    def answer_comment(self, text: Text, tracker: Tracker) -> Updates:
        """Anything the team should know, in the person's words; only a bare "no" means none."""
        if pressed(tracker) is not None:
            return {c.CHECKIN_COMMENT: NO_COMMENT}  # the only button here says there is nothing
        intent = confident_intent(tracker)
        short = len(text.split()) <= MODEL_NO_COMMENT_MAX_WORDS
        if is_nothing_more(text) or is_not_sure(text) or (
            short and intent in (c.INTENT_DENY, c.INTENT_NOTHING_MORE)
        ):
            return {c.CHECKIN_COMMENT: NO_COMMENT}
        return {c.CHECKIN_COMMENT: text}

    def skip(self, slot: Text, tracker: Tracker) -> Updates:
        if slot == c.CHECKIN_COMMENT:
            return {slot: NO_COMMENT}
        if slot == c.CHECKIN_STILL_WANTED:
            return {slot: c.DECLINED}
        if slot == c.DESIRED_OUTCOMES:
            return {slot: DONE, "correcting": False}
        return super().skip(slot, tracker)
