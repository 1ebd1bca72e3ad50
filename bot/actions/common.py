"""Small helpers the actions share: where we are, what was said, the numbers to give."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from functools import lru_cache
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import constants as c
from bot.commands import is_client_command  # noqa: F401 (the actions' name for it)
from bot.settings import Settings, load_settings
from bot.settings.helplines import load_helplines
from bot.store.records import one_transaction

logger = logging.getLogger(__name__)

# An intent only stands in for a recogniser when the model is this sure.
INTENT_CONFIDENCE = 0.7

# What an answer intent means for each kind of question, when the
# rule-based recognisers cannot place the words.
INTENT_ANSWERS: Dict[str, Dict[str, str]] = {
    "consent": {c.INTENT_AFFIRM: c.YES, c.INTENT_DENY: c.NO, c.INTENT_LATER: c.LATER},
    "safe": {
        c.INTENT_AFFIRM: c.YES,
        c.INTENT_DENY: c.NO,
        c.INTENT_DONT_KNOW: c.NOT_SURE,
        c.INTENT_PARTLY: c.NOT_SURE,
    },
    "advocate": {c.INTENT_AFFIRM: c.YES, c.INTENT_DENY: c.NO},
    "confirm": {c.INTENT_AFFIRM: c.YES, c.INTENT_DENY: c.NO},
    "carry_on": {c.INTENT_AFFIRM: c.YES, c.INTENT_DENY: c.NO, c.REPAIR_STOP: c.NO},
    "achieved": {
        c.INTENT_AFFIRM: c.FULLY,
        c.INTENT_PARTLY: c.PARTLY,
        c.INTENT_DENY: c.NOT,
        c.INTENT_DONT_KNOW: c.DONT_KNOW,
    },
    "feedback": {
        c.INTENT_AFFIRM: c.YES,
        c.INTENT_PARTLY: c.PARTLY,
        c.INTENT_DENY: c.NO,
        c.INTENT_DONT_KNOW: c.DONT_KNOW,
        c.REPAIR_DECLINE: c.DECLINED,
    },
}


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


@lru_cache(maxsize=1)
def helplines() -> Dict[str, str]:
    """helplines.yml's numbers ({emergency}, {samaritans}, ...), read once (at start, by warm-up)."""
    return load_helplines(settings().helplines_file)


def council_values() -> Dict[str, str]:
    """Values for {council_name} / {council_number} and the helplines in the domain's responses."""
    s = settings()
    return {**helplines(), "council_name": s.council_name, "council_number": s.council_urgent_number}


def contact_values() -> Dict[str, str]:
    s = settings()
    return {"council_name": s.council_name, "council_number": s.council_contact_number}


def stage_of(tracker: Tracker) -> str:
    """The stage being asked: the outcomes stage until one is set; a stage we do not have is an error."""
    stage = tracker.get_slot("stage")
    if stage is None:
        return c.STAGE_OUTCOMES
    if stage not in c.STAGES:
        raise ValueError("the conversation's stage is not one we have")
    return str(stage)


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "").strip()


def latest_intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def confident_intent(tracker: Tracker) -> Optional[str]:
    name, confidence = latest_intent(tracker)
    return name if confidence >= INTENT_CONFIDENCE else None


def _metadata(tracker: Tracker) -> Dict[str, Any]:
    metadata = tracker.latest_message.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def pressed(tracker: Tracker) -> Optional[str]:
    """The answer button the person pressed, as the web app vouched for it (message metadata), or None.

    The REST channel takes a body only from our own callers (the token, or the
    web app's signature), and the web app sets `press` only for a button it
    offered; the text is then the button's title, which is never kept as words.
    """
    press = _metadata(tracker).get(c.PRESS_KEY)
    return str(press) if isinstance(press, str) and press else None


def visit_of(tracker: Tracker) -> Optional[str]:
    """A hash of the browser visit that sent this message (None from the terminal chat or a test client).

    A wish's own words are read back only in the visit that wrote them: someone
    else holding the phone, or coming back through the browser's history, sees
    only what the codes mean.
    """
    visit = _metadata(tracker).get(c.VISIT_KEY)
    if not isinstance(visit, str) or not visit:
        return None
    return hashlib.sha256(visit.encode("utf-8")).hexdigest()[:32]


def same_visit(written_by: Optional[str], tracker: Tracker) -> bool:
    """Was a wish written in the visit this message comes from? Both unknown (no browser) counts as yes."""
    return written_by == visit_of(tracker)


def message_id(tracker: Tracker) -> Optional[str]:
    found = tracker.latest_message.get("message_id")
    return str(found)[:64] if found else None


def client_intent(tracker: Tracker) -> Optional[str]:
    """The intent of a trusted client's command (`/start{...}`, `/danger`, `/ask_human`), else None."""
    if not is_client_command(tracker.latest_message):
        return None
    return (tracker.latest_message.get("intent") or {}).get("name")


def start_entities(tracker: Tracker) -> Dict[str, Any]:
    """The keys of `/start{...}`, from the message's entities."""
    found: Dict[str, Any] = {}
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") in ("stage", "enquiry_ref", "role"):
            found[entity["entity"]] = entity.get("value")
    return found


Run = Callable[[Any, CollectingDispatcher, Tracker, Dict[str, Any]], Awaitable[List[EventType]]]
SyncRun = Callable[[Any, CollectingDispatcher, Tracker, Dict[str, Any]], List[EventType]]
AsyncRun = Callable[
    [Any, CollectingDispatcher, Tracker, Dict[str, Any]], Coroutine[Any, Any, List[EventType]]
]


def in_thread(work: SyncRun) -> AsyncRun:
    """An action's (or a validator's) work, run in a worker thread: the one place actions leave the loop.

    Their work is synchronous: the record store (SQLAlchemy, a database round
    trip or a lock wait each time) and spaCy. Run on the action server's event
    loop it would hold up every other conversation's request meanwhile. Each
    request's dispatcher and tracker are used by one thread at a time (the
    loop waits for the thread), so the action itself is unchanged; Rasa's lock
    keeps two messages of one conversation from running at once.

    The work is one turn of the record store (`one_transaction`): what it writes
    commits together at the end, or, where the action says so (`save_turn`), at
    the point where it can still tell the person kindly that it was not saved.
    """

    def one_turn(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: Dict[str, Any]) -> List[EventType]:
        with one_transaction():
            return work(self, dispatcher, tracker, domain)

    @functools.wraps(work)
    async def threaded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return await asyncio.to_thread(one_turn, self, dispatcher, tracker, domain)

    return threaded


def kind_on_failure(run: Run) -> Run:
    """An action that fails on our side still answers kindly, and keeps what it already said.

    Without this, an exception loses every message the action had sent,
    the danger help included.
    """

    @functools.wraps(run)
    async def guarded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001 (the last line of defence for a person mid-conversation)
            logger.exception("%s failed for %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response="utter_our_fault_later", **contact_values())
            return []

    return guarded
