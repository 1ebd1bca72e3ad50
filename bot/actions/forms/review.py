"""The review stage: did the person get what they wanted, and how did it feel."""

from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import confident_intent, council_values, pressed, stage_of
from bot.actions.forms.base import DONE, StageFormValidation, Updates
from bot.actions.forms.outcomes import WishesMixin
from bot.actions.phrases import wish_words
from bot.actions.safety import DETOUR_CHECK, gave_danger_help
from bot.language.answers import is_not_sure, is_nothing_more
from bot.store import records

NO_COMMENT = "none"
MODEL_NO_COMMENT_MAX_WORDS = 2


def _wish_id(value: object) -> Optional[int]:
    """The `current_wish` slot (a float once Rasa has stored it) as a row id."""
    try:
        return int(value) if value is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def next_outcome_updates(cid: Text, after: Optional[int], for_someone: bool = False) -> Updates:
    """Point `current_outcome` (its code) and `current_wish` (its id) at the next wish to ask about.

    The question names the wish in its code's plain words (`current_wish_words`),
    never in the person's own: those were written in another visit, at the start.
    """
    outcomes = records.list_outcomes(cid, c.STAGE_REVIEW)
    ids = [o.id for o in outcomes]
    start = ids.index(after) + 1 if after in ids else 0
    for outcome in outcomes[start:]:
        if outcome.achieved is None:
            return {
                c.OUTCOME_ACHIEVED: None,
                "current_outcome": outcome.code,
                "current_wish": outcome.id,
                "current_wish_words": wish_words(outcome.code, for_someone),
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
        someone = bool(tracker.get_slot("for_someone"))
        if slot == c.DESIRED_OUTCOMES:
            updates = self.answer_wishes(text, dispatcher, tracker)
            if updates and updates.get(c.DESIRED_OUTCOMES) == DONE:
                first = next_outcome_updates(cid, None, someone)
                first.pop(c.OUTCOME_ACHIEVED, None)
                updates.update(first)
            return updates
        if slot == c.FEEDBACK_COMMENTS:
            return self.answer_comments(text, tracker)
        value = self.closed_answer(slot, text, tracker)
        if slot == c.FEEL_SAFE and value != c.YES:
            return self.not_plainly_safe(value, dispatcher, tracker)
        if value is None:
            return None
        if slot == c.OUTCOME_ACHIEVED:
            code, wish = tracker.get_slot("current_outcome"), tracker.get_slot("current_wish")
            if code:
                records.set_achieved(cid, c.STAGE_REVIEW, code, value, outcome_id=_wish_id(wish))
            return next_outcome_updates(cid, _wish_id(wish), someone)
        records.save_answer(cid, c.STAGE_REVIEW, slot, value)
        return {slot: value}

    def not_plainly_safe(
        self, value: Optional[Text], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """ "Do you feel as safe as you want to feel?" answered other than a plain yes.

        The answer given is kept (partly, no, don't know, declined); the help is
        offered, and the gentle check follows at once, whose "no" or "not sure"
        raises the alarm. An unclear answer is asked again after the check.
        """
        if value is not None:
            records.save_answer(tracker.sender_id, c.STAGE_REVIEW, c.FEEL_SAFE, value)
        if gave_danger_help(dispatcher):
            return {c.FEEL_SAFE: value}  # the help was given for danger already, and its detour follows
        dispatcher.utter_message(response="utter_feel_safe_help", **council_values())
        return {c.FEEL_SAFE: value, "detour": DETOUR_CHECK}

    def answer_comments(self, text: Text, tracker: Tracker) -> Updates:
        """Every comment is kept in the person's words; only a bare "no" means none.

        The model may read "no, but the social worker was lovely" as a "no": it
        decides only for a word or two.
        """
        if pressed(tracker) is not None:
            return {c.FEEDBACK_COMMENTS: NO_COMMENT}  # the only button here says there is nothing more
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
            if slot == c.FEEL_SAFE:
                return {slot: c.DECLINED, "detour": DETOUR_CHECK}  # not saying is not a yes
            return {slot: c.DECLINED}
        if slot == c.OUTCOME_ACHIEVED:
            return next_outcome_updates(cid, _wish_id(tracker.get_slot("current_wish")),
                                        bool(tracker.get_slot("for_someone")))
        if slot == c.FEEDBACK_COMMENTS:
            return {slot: NO_COMMENT}
        if slot == c.DESIRED_OUTCOMES:
            records.mark_none_expressed(cid, stage_of(tracker))
            return {slot: DONE}
        return super().skip(slot, tracker)
