"""What every question does, whichever stage asks it.

Each message that answers a question passes through one pipeline:
danger first (help is given at once, and the answer is still kept), then the
answer itself, then repair (stop, explain, why, a person, skip, an advocate,
changing an earlier wish), then a kind rephrase. The form never rejects a
message, so the person is never dropped out of the conversation, and
`requested_slot` always names the question being asked.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot import constants as c
from bot.actions.common import (
    INTENT_ANSWERS,
    client_intent,
    confident_intent,
    contact_values,
    in_thread,
    latest_text,
    pressed,
    stage_of,
    visit_of,
)
from bot.actions.forms.contact import SafeContactMixin
from bot.actions.safety import (
    DETOUR_CHECK,
    DETOUR_DANGER,
    DETOUR_HUMAN,
    danger_level,
    gave_danger_help,
    mark_message,
    read_by_the_learned_reader_alone,
    respond_to_advocate_request,
    respond_to_danger,
    respond_to_human_request,
)
from bot.language.answers import recognise_answer
from bot.language.danger import CLEAR, NONE, POSSIBLE, REVIEW
from bot.language.outcomes import recognise_outcomes
from bot.language.repair import change_of_earlier_answer, detect_repair, repair_anywhere
from bot.language.safety_answers import ASK_AGAIN, read_safety_answer, reads_as_yes
from bot.language.wishes import carries_a_wish
from bot.store import records

logger = logging.getLogger(__name__)

Updates = Dict[Text, Any]

DONE = "done"  # a looping question (wishes, achieved) has nothing more to ask
NOT_GIVEN = "not_given"  # skipped where the contract has no `declined` answer

# Closed questions whose answer can be changed at the next question.
CHANGEABLE = frozenset({c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE, c.OUTCOME_ACHIEVED, *c.FEEDBACK_QUESTIONS})

# The model alone may call a message a repair only when it is this short.
MODEL_REPAIR_MAX_WORDS = 4
# A closed question's answer this short, read as possible danger only by the learned reader, stands.
ANSWER_MAX_WORDS = 6

# What is asked first after a detour: the gentle check, or (after the help, or a request for a
# person) how to reach them safely, once, then "carry on, or stop for now?".
DETOUR_QUESTIONS: Dict[Optional[Text], List[Text]] = {
    DETOUR_CHECK: [c.SAFETY_CHECK],
    DETOUR_DANGER: [*c.CONTACT_QUESTIONS, c.CARRY_ON],
    DETOUR_HUMAN: [*c.CONTACT_QUESTIONS, c.CARRY_ON],
}

# Questions about being safe: a typed answer is a yes only when it plainly is (bot/language/answers.py).
SAFETY_QUESTIONS = frozenset({c.FEELS_SAFE_NOW, c.SAFETY_CHECK, c.FEEL_SAFE})

# Repairs the rule-based detector may trust over an answer recogniser: a
# person who says "no, I want to talk to a real person" wants a person.
REPAIRS_BEFORE_ANSWER = frozenset(
    {c.REPAIR_STOP, c.REPAIR_EXPLAIN, c.REPAIR_WHY, c.REPAIR_HUMAN, c.REPAIR_ADVOCATE}
)


class StageFormValidation(SafeContactMixin, FormValidationAction, ABC):
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
            return self.understand(slot, dispatcher, tracker)
        except Exception:  # noqa: BLE001 (the last line of defence for a person mid-conversation)
            logger.exception("could not handle an answer to %s in %s", slot, tracker.sender_id)
            dispatcher.utter_message(response="utter_our_fault")
            updates: Updates = {slot: None}
            if gave_danger_help(dispatcher):
                updates["detour"] = DETOUR_DANGER
            return updates

    # The pipeline -------------------------------------------------------

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

    # Repairs --------------------------------------------------------------

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

    # Shared answers ---------------------------------------------------------

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
