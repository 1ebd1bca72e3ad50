"""Safe contact: after the help for danger, or a request for a person, how can the team reach them safely?

Asked once per conversation, one question at a time, each with buttons and
free text, and each may be skipped:

- is it safe for the team to phone? (`contact_safe_to_call`: yes / no / not_sure);
  anything but a yes means the team must not phone, and nothing more is asked;
- when is a safe time? (`contact_when`: the person's words, or `any_time`);
- what number? (`contact_number`: the person's words, or `number_on_file`);
- might someone else answer? (`contact_others_answer`: yes / no / not_sure);
- what if the call cannot be taken? (`contact_if_missed`: the person's words,
  `try_again` or `no_message`).

The words are the person's, kept in the record and encrypted like every word
(bot/store/crypto.py); the duty alert only says that answers exist. Then the
person is told truthfully when to expect contact: only when the team has been
told (an alert stored with a channel to send it), from the office hours in
the settings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import contact_values, pressed, settings, stage_of
from bot.actions.safety import danger_level
from bot.language.answers import is_not_sure
from bot.language.danger import CLEAR, POSSIBLE
from bot.settings import Settings, office_weekdays
from bot.store import records

Updates = Dict[Text, Any]

NOT_GIVEN = "not_given"  # skipped where the contract has no `declined` answer
UK = ZoneInfo("Europe/London")

# What each button of a free-text question stands for (kept as the choice, never its title).
CHOICES: Dict[str, frozenset] = {  # type: ignore[type-arg]
    c.CONTACT_WHEN: frozenset({"any_time"}),
    c.CONTACT_NUMBER: frozenset({"number_on_file"}),
    c.CONTACT_IF_MISSED: frozenset({"try_again", "no_message"}),
}
SKIP = "skip"


def in_office_hours(now: datetime, config: Settings) -> bool:
    """Is the team at work at `now` (an aware time; compared in UK local time)?"""
    local = now.astimezone(UK)
    start, end = (datetime.strptime(p.strip(), "%H:%M").time() for p in config.office_hours.split("-"))
    return local.weekday() in office_weekdays(config.office_days) and start <= local.time() < end


class SafeContactMixin:
    """The safe-contact questions, for the stage forms (StageFormValidation)."""

    closed_answer: Any  # provided by StageFormValidation

    def answer_contact(
        self, slot: Text, text: Text, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Updates]:
        press = pressed(tracker)
        if press == SKIP:
            return self.skip_contact(slot, dispatcher, tracker)
        if slot in c.CONTACT_CLOSED:
            value = self.closed_answer(slot, text, tracker)
            if value is None:
                return None
            return self._closed(slot, value, dispatcher, tracker)
        if press is not None:
            if press not in CHOICES[slot]:
                return None
            return self._words(slot, press, dispatcher, tracker)
        if danger_level(tracker) in (CLEAR, POSSIBLE):
            return None  # danger, not an answer: the help comes, and the question again after it
        if is_not_sure(text):
            return self.skip_contact(slot, dispatcher, tracker)
        return self._words(slot, text.strip(), dispatcher, tracker)

    def _closed(self, slot: Text, value: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        records.save_contact_answer(tracker.sender_id, stage_of(tracker), slot, value)
        updates: Updates = {slot: value}
        if slot == c.CONTACT_SAFE_TO_CALL and value != c.YES:
            # Not safe, or not sure: the team must not phone, so nothing more is asked about calls.
            dispatcher.utter_message(response="utter_contact_no_calls", **contact_values())
            updates.update({q: NOT_GIVEN for q in c.CONTACT_QUESTIONS if q != slot})
            updates["contact_done"] = True
        return updates

    def _words(self, slot: Text, words: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        records.save_contact_answer(tracker.sender_id, stage_of(tracker), slot, words)
        updates: Updates = {slot: words}
        if slot == c.CONTACT_QUESTIONS[-1]:
            updates.update(self._finish_contact(dispatcher, tracker))
        return updates

    def skip_contact(self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        """Skipped: nothing recorded for it. Skipping "is it safe to phone?" means the team must not phone."""
        if slot == c.CONTACT_SAFE_TO_CALL:
            return self._closed(slot, c.NOT_SURE, dispatcher, tracker)
        updates: Updates = {slot: NOT_GIVEN}
        if slot == c.CONTACT_QUESTIONS[-1]:
            updates.update(self._finish_contact(dispatcher, tracker))
        return updates

    def _finish_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Updates:
        """When to expect a call: said only when the team has been told, and as the office hours make true."""
        self.tell_when_to_expect(dispatcher, tracker)
        return {"contact_done": True}

    @staticmethod
    def tell_when_to_expect(
        dispatcher: CollectingDispatcher, tracker: Tracker, now: Optional[datetime] = None
    ) -> None:
        config = settings()
        if not tracker.get_slot("team_told"):
            dispatcher.utter_message(response="utter_contact_call_us", **contact_values())
            return
        moment = now or datetime.now(UK)
        start, end = (p.strip() for p in config.office_hours.split("-"))
        hours = {"office_start": _clock(start), "office_end": _clock(end),
                 "callback_hours": f"{config.callback_within_hours:g}", **contact_values()}
        if in_office_hours(moment, config):
            dispatcher.utter_message(response="utter_contact_expect_in_hours", **hours)
        else:
            dispatcher.utter_message(response="utter_contact_expect_out_of_hours", **hours)


def _clock(hh_mm: str) -> str:
    """ "09:00" -> "9am", "17:30" -> "5:30pm": how a person says a time."""
    moment = datetime.strptime(hh_mm, "%H:%M")
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"
