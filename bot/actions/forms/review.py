"""The review stage: did the person get what they wanted, and how did it feel."""

from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import confident_intent, stage_of
from bot.actions.forms.base import DONE, StageFormValidation, Updates
from bot.actions.forms.outcomes import WishesMixin
from bot.language.answers import is_not_sure, is_nothing_more
from bot.store import records

NO_COMMENT = "none"
MODEL_NO_COMMENT_MAX_WORDS = 2


def next_outcome_updates(cid: Text, after: Optional[Text]) -> Updates:
    """Point `current_outcome` at the next wish to ask about, in the order given."""
    outcomes = records.list_outcomes(cid, c.STAGE_REVIEW)
    codes = [o.code for o in outcomes]
    start = codes.index(after) + 1 if after in codes else 0
    for outcome in outcomes[start:]:
        if outcome.achieved is None:
            return {
                c.OUTCOME_ACHIEVED: None,
                "current_outcome": outcome.code,
                "current_own_words": outcome.own_words,
            }
    return {c.OUTCOME_ACHIEVED: DONE}


class ValidateReviewForm(WishesMixin, StageFormValidation):
    """Each wish's result, the six feedback questions, and any last words."""

    def name(self) -> Text:
        return "validate_review_form"

    def stage_questions(self, tracker: Tracker) -> List[Text]:
        questions = [c.CONSENT_TO_TALK, c.SPEAKER_ROLE]
        if tracker.get_slot("ask_wishes_first"):
            questions.append(c.DESIRED_OUTCOMES)
        if tracker.get_slot("current_outcome") or tracker.get_slot(c.OUTCOME_ACHIEVED):
            questions.append(c.OUTCOME_ACHIEVED)
        return questions + list(c.FEEDBACK_QUESTIONS) + [c.FEEDBACK_COMMENTS]

    def answer_question(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        cid = tracker.sender_id
        if slot == c.DESIRED_OUTCOMES:
            updates = self.answer_wishes(text, dispatcher, tracker)
            if updates and updates.get(c.DESIRED_OUTCOMES) == DONE:
                first = next_outcome_updates(cid, None)
                first.pop(c.OUTCOME_ACHIEVED, None)
                updates.update(first)
            return updates
        if slot == c.FEEDBACK_COMMENTS:
            return self.answer_comments(text, tracker)
        value = self.closed_answer(slot, text, tracker)
        if value is None:
            return None
        if slot == c.OUTCOME_ACHIEVED:
            code = tracker.get_slot("current_outcome")
            if code:
                records.set_achieved(cid, c.STAGE_REVIEW, code, value)
            return next_outcome_updates(cid, code)
        records.save_answer(cid, c.STAGE_REVIEW, slot, value)
        return {slot: value}

    def answer_comments(self, text: Text, tracker: Tracker) -> Updates:
        """Every comment is kept in the person's words; only a bare "no" means none.

        The model may read "no, but the social worker was lovely" as a "no": it
        decides only for a word or two.
        """
        intent = confident_intent(tracker)
        short = len(text.split()) <= MODEL_NO_COMMENT_MAX_WORDS
        if is_nothing_more(text) or is_not_sure(text) or (
            short and intent in (c.INTENT_DENY, c.INTENT_NOTHING_MORE)
        ):
            return {c.FEEDBACK_COMMENTS: NO_COMMENT}
        records.save_answer(tracker.sender_id, c.STAGE_REVIEW, "comments", text)
        return {c.FEEDBACK_COMMENTS: text}

    def skip(self, slot: Text, tracker: Tracker) -> Updates:
        cid = tracker.sender_id
        if slot in c.FEEDBACK_QUESTIONS:
            records.save_answer(cid, c.STAGE_REVIEW, slot, c.DECLINED)
            return {slot: c.DECLINED}
        if slot == c.OUTCOME_ACHIEVED:
            return next_outcome_updates(cid, tracker.get_slot("current_outcome"))
        if slot == c.FEEDBACK_COMMENTS:
            return {slot: NO_COMMENT}
        if slot == c.DESIRED_OUTCOMES:
            records.mark_none_expressed(cid, stage_of(tracker))
            return {slot: DONE}
        return super().skip(slot, tracker)
