"""Build trackers and run actions without a trained model or running servers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"


def load_domain() -> Dict[str, Any]:
    """The real domain, merged from domain/*.yml the way Rasa merges it."""
    merged: Dict[str, Any] = {"slots": {}, "forms": {}, "responses": {}}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        part = yaml.safe_load(path.read_text()) or {}
        for key in ("slots", "forms", "responses"):
            merged[key].update(part.get(key) or {})
    return merged


DOMAIN = load_domain()

BASE_SLOTS: Dict[str, Any] = {
    name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()
}


def make_tracker(
    text: str = "",
    *,
    requested: Optional[str] = None,
    slots: Optional[Dict[str, Any]] = None,
    intent: Optional[str] = None,
    confidence: float = 0.95,
    entities: Optional[List[Dict[str, Any]]] = None,
    sender: str = "conv-test",
    form: Optional[str] = "outcomes_form",
    candidate: bool = True,
    metadata: Optional[Dict[str, Any]] = None,
    command: bool = False,
) -> Tracker:
    """A tracker as the form's validation action sees it after a user message.

    With `requested`, the message is the candidate for that slot (from_text),
    placed last in the events so `slots_to_validate()` returns it.
    """
    values = {**BASE_SLOTS, "stage": c.STAGE_OUTCOMES, **(slots or {})}
    events: List[Dict[str, Any]] = [{"event": "user", "text": text}]
    if requested:
        values["requested_slot"] = requested
        if candidate:
            values[requested] = text
            events.append({"event": "slot", "name": requested, "value": text})
    latest: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence if intent else 0.0},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    if command:  # a trusted client's "/intent": Rasa's shortcut sets it, sure, with no ranking
        latest["intent"] = {"name": intent, "confidence": 1.0}
        latest["intent_ranking"] = [latest["intent"]]
    return Tracker(
        sender, values, latest, events, False, None,
        {"name": form} if form else {}, "action_listen",
    )


def run_action(action: Action, tracker: Tracker) -> Tuple[List[Dict[str, Any]], List[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, [m.get("response") for m in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The last value each slot was set to."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def db(record_db: str) -> str:
    return record_db
