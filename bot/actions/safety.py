"""Danger, a request for a person, a request for an advocate: answered at once.

The flag is written before anything is said, so even if the conversation
breaks off a practitioner sees it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.actions.common import (
    contact_values,
    council_values,
    latest_intent,
    latest_text,
    stage_of,
)
from bot.language.danger import detect_danger
from bot.store import records

# The detector is the safety net; the model's `danger` intent adds recall
# only when it is very sure, to keep false alarms rare.
DANGER_INTENT_CONFIDENCE = 0.9


def message_shows_danger(tracker: Tracker) -> bool:
    if detect_danger(latest_text(tracker)) is not None:
        return True
    name, confidence = latest_intent(tracker)
    return name == c.INTENT_DANGER and confidence >= DANGER_INTENT_CONFIDENCE


def respond_to_danger(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The flag first, then the help: once per message, however many signs it shows."""
    if any(m.get("response") == "utter_danger_help" for m in dispatcher.messages):
        return
    records.set_flag(tracker.sender_id, stage_of(tracker), c.FLAG_URGENT_SAFETY)
    dispatcher.utter_message(response="utter_danger_help", **council_values())


def respond_to_human_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    records.set_flag(tracker.sender_id, stage_of(tracker), c.FLAG_WANTS_HUMAN_CONTACT)
    dispatcher.utter_message(response="utter_human_contact", **contact_values())


def respond_to_advocate_request(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    records.set_flag(tracker.sender_id, stage_of(tracker), c.FLAG_ADVOCACY_REQUESTED)
    dispatcher.utter_message(response="utter_advocate_explained")


class ActionRespondToDanger(Action):
    """Danger said outside a question: help first, then the stage resumes with `carry_on`."""

    def name(self) -> Text:
        return "action_respond_to_danger"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        respond_to_danger(dispatcher, tracker)
        return [SlotSet("detour", "danger")]


class ActionHumanContact(Action):
    """Asking for a person outside a question: how to reach one, then offer to carry on."""

    def name(self) -> Text:
        return "action_human_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if message_shows_danger(tracker):
            respond_to_danger(dispatcher, tracker)
        respond_to_human_request(dispatcher, tracker)
        return [SlotSet("detour", "human")]


class ActionAdvocateHelp(Action):
    """"Can someone help me with this?" outside a question."""

    def name(self) -> Text:
        return "action_advocate_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = []
        if message_shows_danger(tracker):
            respond_to_danger(dispatcher, tracker)
            events.append(SlotSet("detour", "danger"))
        respond_to_advocate_request(dispatcher, tracker)
        return events
