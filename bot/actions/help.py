"""The actions for danger, a person and an advocate asked for outside a question (the stories' and rules'
actions); inside a question the forms answer them (bot/actions/forms/)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import in_thread
from bot.actions.safety import (
    DETOUR_CHECK,
    DETOUR_DANGER,
    DETOUR_HUMAN,
    danger_level,
    respond_to_advocate_request,
    respond_to_human_request,
    respond_to_level,
)
from bot.language.danger import CLEAR, POSSIBLE


class ActionRespondToDanger(Action):
    """Danger said outside a question: help first, then the stage resumes with `carry_on`."""

    def name(self) -> Text:
        return "action_respond_to_danger"

    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        # The model said danger. The rules may say less: then it is a gentle check.
        level = danger_level(tracker)
        return respond_to_level(level if level in (CLEAR, POSSIBLE) else POSSIBLE, dispatcher, tracker)


class ActionHumanContact(Action):
    """Asking for a person outside a question: how to reach one, then offer to carry on."""

    def name(self) -> Text:
        return "action_human_contact"

    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = respond_to_level(danger_level(tracker), dispatcher, tracker)
        told = respond_to_human_request(dispatcher, tracker)
        detours = [e.get("value") for e in events if e.get("name") == "detour"]
        if not set(detours) & {DETOUR_CHECK, DETOUR_DANGER}:
            events += [SlotSet("detour", DETOUR_HUMAN), SlotSet("team_told", told)]
        return events


class ActionAdvocateHelp(Action):
    """"Can someone help me with this?" outside a question."""

    def name(self) -> Text:
        return "action_advocate_help"

    @in_thread
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events = respond_to_level(danger_level(tracker), dispatcher, tracker)
        respond_to_advocate_request(dispatcher, tracker)
        return events
