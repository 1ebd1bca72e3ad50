"""What every question does, whichever stage asks it: the pipeline of a turn.

Each message that answers a question passes through one pipeline:
danger first (help is given at once, and the answer is still kept), then the
answer itself, then repair (stop, explain, why, a person, skip, an advocate,
changing an earlier wish), then a kind rephrase. The form never rejects a
message, so the person is never dropped out of the conversation, and
`requested_slot` always names the question being asked.

The pipeline is here; the answers every stage shares are in shared_answers.py,
repairs in repairs.py, changes to earlier answers in changes.py, and safe
contact in contact.py (mixins of StageFormValidation).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot import constants as c
from bot.actions.common import (
    client_intent,
    in_thread,
    latest_text,
    pressed,
)
from bot.actions.forms.changes import ChangesMixin
from bot.actions.forms.contact import SafeContactMixin, Updates
from bot.actions.forms.difficulty import DETOUR_ADVOCACY, DifficultyMixin
from bot.actions.forms.repairs import REPAIRS_BEFORE_ANSWER, RepairsMixin
from bot.actions.forms.shared_answers import SharedAnswersMixin
from bot.actions.safety import (
    DETOUR_CHECK,
    DETOUR_DANGER,
    DETOUR_HUMAN,
    danger_level,
    gave_danger_help,
    mark_message,
    read_by_the_learned_reader_alone,
    respond_to_danger,
    respond_to_human_request,
)
from bot.language.danger import CLEAR, NONE, POSSIBLE, REVIEW
from bot.language.repair import change_of_earlier_answer, detect_repair, repair_anywhere
from bot.language.safety_answers import ASK_AGAIN, reads_as_yes
from bot.language.wishes import carries_a_wish
from bot.store import records

logger = logging.getLogger(__name__)


DONE = "done"  # a looping question (wishes, achieved) has nothing more to ask

# A closed question's answer this short, read as possible danger only by the learned reader, stands.
ANSWER_MAX_WORDS = 6

# What is asked first after a detour: the gentle check, or (after the help, or a request for a
# person) how to reach them safely, once, then "carry on, or stop for now?".
DETOUR_QUESTIONS: Dict[Optional[Text], List[Text]] = {
    DETOUR_CHECK: [c.SAFETY_CHECK],
    DETOUR_DANGER: [*c.CONTACT_QUESTIONS, c.CARRY_ON],
    DETOUR_HUMAN: [*c.CONTACT_QUESTIONS, c.CARRY_ON],
    DETOUR_ADVOCACY: [c.ADVOCACY_OFFER, c.CARRY_ON],  # taking part looks hard: an advocate, offered once
}


class StageFormValidation(SharedAnswersMixin, ChangesMixin, RepairsMixin, SafeContactMixin, DifficultyMixin,
                          FormValidationAction, ABC):
    """Shared validation for the stage forms; subclasses answer their own questions."""

    @abstractmethod
    def name(self) -> Text:
        """rasa_sdk skips abstract classes when it registers actions."""

    @abstractmethod
    def stage_questions(self, tracker: Tracker) -> List[Text]:
        """The stage's questions, in order, for this conversation."""

    @abstractmethod
    def answer_question(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """The stage's own questions: slot updates, or None when `text` is no answer."""

    def answer(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        """Slot updates when `text` answers `slot`, or None when it does not."""
        if slot == c.CARRY_ON:
            return self.answer_carry_on(text, dispatcher, tracker)
        if slot == c.SAFETY_CHECK:
            # Only a plain yes is a yes; anything else that is not a no counts as "not sure", except
            # an answer the answer reader reads as yes: asked once more, with the buttons.
            value = self.closed_answer(c.SAFETY_CHECK, text, tracker)
            if value == ASK_AGAIN and not tracker.get_slot("unclear_count"):
                dispatcher.utter_message(response="utter_check_again")
                return {c.SAFETY_CHECK: None, "unclear_count": 1}
            if value in (None, ASK_AGAIN):
                value = c.NOT_SURE
            return self.answer_safety_check(value, dispatcher, tracker)
        if slot in c.CONTACT_QUESTIONS:
            return self.answer_contact(slot, text, dispatcher, tracker)
        if slot == c.ADVOCACY_OFFER:
            return self.answer_advocacy_offer(text, dispatcher, tracker)
        if slot == c.CONSENT_TO_TALK:
            return self.answer_consent(text, dispatcher, tracker)
        if slot == c.SPEAKER_ROLE:
            return self.answer_role(text, tracker)
        return self.answer_question(slot, text, dispatcher, tracker)

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("stage_status") in (
            c.STATUS_PAUSED,
            c.STATUS_DECLINED,
            c.STATUS_COMPLETED,
        ):
            return []
        detour = [q for q in DETOUR_QUESTIONS.get(tracker.get_slot("detour"), [])
                  if q not in c.CONTACT_QUESTIONS or not tracker.get_slot("contact_done")]
        return detour + self.stage_questions(tracker)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[EventType]:
        """Always name the next question here, even when the list equals the domain's."""
        required = await self.required_slots(
            self.domain_slots(domain), dispatcher, tracker, domain
        )
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet("requested_slot", next(missing, None))

    @in_thread
    def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Route the question being answered through the pipeline (in a worker thread).

        Other candidates are slots filled before the form was (re)activated:
        already understood and saved, so they pass through untouched. The
        rest of the form's work (which question is next) touches neither the
        store nor spaCy, so it stays on the loop.
        """
        requested = tracker.get_slot("requested_slot")
        events: List[EventType] = []
        for slot, value in tracker.slots_to_validate().items():
            if slot == requested:
                updates = self._understand_safely(slot, dispatcher, tracker)
            else:
                updates = {slot: value}
            events.extend(SlotSet(key, val) for key, val in updates.items())
        return events

    def _understand_safely(
        self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """Whatever goes wrong on our side, the person gets a kind answer and the
        question again. Help already shown stays shown, and its detour stays."""
        try:
            understood = self.understand(slot, dispatcher, tracker)
            understood = self.notice_difficulty(slot, understood, dispatcher, tracker)  # is taking part hard?
            records.save_turn()  # the answer is saved before it is taken as said, or the person is told
            return understood
        except Exception:  # noqa: BLE001 (the last line of defence for a person mid-conversation)
            logger.exception("could not handle an answer to %s in %s", slot, tracker.sender_id)
            dispatcher.utter_message(response="utter_our_fault")
            updates: Updates = {slot: None}
            if gave_danger_help(dispatcher):
                updates["detour"] = DETOUR_DANGER
            return updates


    def understand(
        self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        text = latest_text(tracker)
        command = client_intent(tracker)
        if command == c.REPAIR_HUMAN:
            # "I want to talk to a person", the button on every chat screen: then back to this question.
            told = respond_to_human_request(dispatcher, tracker)
            return {slot: None, "detour": DETOUR_HUMAN, "team_told": told}
        if command is not None and command != c.INTENT_DANGER:
            # Only a trusted client's intent gets here (the REST channel keeps a
            # person's "/" text as words): the chat was reopened mid-question.
            dispatcher.utter_message(response="utter_welcome_back")
            return {slot: None}

        level = danger_level(tracker)  # the "I am not safe right now" button is clear danger
        if (level == CLEAR and slot in (c.FEELS_SAFE_NOW, c.SAFETY_CHECK) and reads_as_yes(slot, text)
                and read_by_the_learned_reader_alone(tracker)):
            level = POSSIBLE  # "i am safe he cant get me here": the two readers disagree, the gentle check
        if level == POSSIBLE and self.only_an_answer(slot, text, tracker):
            level = REVIEW  # "yes I am" to "do you feel safe?": marked for a person, never asked again
        if level == REVIEW:
            # Worth a look by a person today; the conversation carries on undisturbed.
            mark_message(tracker, c.MARK_REVIEW)
            level = NONE
        updates: Updates = {}
        if level == CLEAR:
            # Help first, whatever else the message says; its answer is still kept. Telling us about
            # danger answers "are you safe?": no, stored with the flag (one write), not asked again.
            unsafe = self.unsafe_answer(slot, tracker)
            updates["team_told"] = respond_to_danger(dispatcher, tracker, answers=unsafe)
            updates["detour"] = DETOUR_DANGER
            if slot in (c.FEELS_SAFE_NOW, c.SAFETY_CHECK):
                updates.update(unsafe)
                if slot == c.SAFETY_CHECK:
                    updates[c.SAFETY_CHECK] = None
                return updates
            if command == c.INTENT_DANGER:
                updates[slot] = None  # the button answers no question: back to it after the help
                return updates
        if pressed(tracker) is not None:
            updates.update(self.handle_press(slot, dispatcher, tracker))
        else:
            updates.update(self.handle(slot, text, level, dispatcher, tracker))
        if (
            level == POSSIBLE
            and slot != c.SAFETY_CHECK
            and updates.get("detour") is None
            and tracker.get_slot("detour") != DETOUR_DANGER
        ):
            updates["detour"] = DETOUR_CHECK  # the gentle check comes before the next question
            mark_message(tracker, c.MARK_POSSIBLE)
        return updates

    def only_an_answer(self, slot: Text, text: Text, tracker: Tracker) -> bool:
        """A short message that answers the closed question asked, read as possible danger by the learned
        reader alone: the answer stands, and the message is marked for review rather than checked.

        The gentle check after "yes I am" or "no thanks" would ask again what was just answered; a
        person reads it the same day instead. Never when the rules or the Rasa model see danger.
        """
        if slot not in c.QUESTION_KIND or len(text.split()) > ANSWER_MAX_WORDS:
            return False
        answered = self.closed_answer(slot, text, tracker) not in (None, ASK_AGAIN)
        return answered and read_by_the_learned_reader_alone(tracker)

    def handle_press(self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        """An answer button: the choice it stands for answers the question (its title is never own words).

        A press that does not fit the question being asked (an old button, from
        before the chat moved on) is not guessed at: the question is asked again.
        """
        answered = self.answer(slot, latest_text(tracker), dispatcher, tracker)
        if answered is None:
            dispatcher.utter_message(response="utter_press_again")
            return {slot: None}
        return {**answered, "unclear_count": 0}

    def handle(
        self, slot: Text, text: Text, level: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Updates:
        """The answer, a repair, or a kind rephrase: whatever the message is besides danger."""
        new_words = change_of_earlier_answer(text)
        if new_words and not (slot == c.DESIRED_OUTCOMES and carries_a_wish(text)):
            changed = self.change_earlier_answer(slot, new_words, dispatcher, tracker)
            if changed is not None:
                return changed

        repair = detect_repair(text)  # only when the message is nothing but a repair
        if repair == c.REPAIR_STOP and slot == c.CONSENT_TO_TALK:
            repair = None  # "not now" answers this question: later
        plain_answer = repair == c.REPAIR_STOP and self._is_plain_answer(slot, text)
        if repair in REPAIRS_BEFORE_ANSWER and not plain_answer:
            return self.repair(repair, slot, dispatcher, tracker)

        if slot != c.DESIRED_OUTCOMES and self.changed_earlier_wish(
            slot, text, dispatcher, tracker
        ):
            return {slot: None}

        answered = self.answer(slot, text, dispatcher, tracker)
        if answered is not None:
            return {"unclear_count": 0, **answered}  # the answer may count a re-ask itself

        repair = repair or repair_anywhere(text) or self._intent_repair(tracker, text)
        if repair:
            return self.repair(repair, slot, dispatcher, tracker)
        if level != NONE:
            return {slot: None}  # the help or the gentle check comes instead of a rephrase
        return self.unclear(slot, dispatcher, tracker)
