"""Read a whole conversation back from Rasa's SQL tracker store, turn by turn.

The rows come from the tracker store's `events` table through
`bot/store/events.py` (reflected, not re-declared), so a practitioner's tool
needs neither Rasa nor a model loaded. One engine per tracker store URL is kept
for the life of the process (`bot.store.db.get_engine`: the workspace reads a
transcript on every conversation page).

A turn says how the person's message came: typed words, a button pressed
(the web app marks a press in the message's metadata, and the text is the
button's title; the two help buttons arrive as trusted commands and are
shown by their titles), or the client's `/start{...}` that opened the
conversation (its stage, role and enquiry, never shown as raw text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

from bot import constants as c
from bot.commands import is_client_command
from bot.store import crypto, events

START = "/start"


@dataclass(frozen=True)
class Opening:
    """What a `/start{...}` said: the stage, who it is for, the enquiry (each None when not given)."""

    stage: Optional[str]
    role: Optional[str]
    enquiry_ref: Optional[str]
    again: bool = False  # a later visit to the same conversation


@dataclass(frozen=True)
class Turn:
    at: Optional[datetime]  # naive UTC, as every time in the store
    speaker: str  # "person" or "assistant"
    text: str  # as sent; for a press, the button's title (never "/danger")
    buttons: List[str]
    question: Optional[str] = None
    opened: bool = False  # a trusted client's command (`/start{...}`), not words the person typed
    pressed: bool = False  # the person pressed a button
    opening: Optional[Opening] = None  # set for a `/start{...}`
    message_id: Optional[str] = None  # Rasa's id of the person's message (danger marks and alerts name it)

    @property
    def iso(self) -> str:
        """The time as the record contract writes times: UTC, ISO 8601, with a Z."""
        return self.at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.at else ""


def read_transcript(tracker_store_url: str, conversation_id: str) -> List[Turn]:
    return list(_turns(events.conversation_rows(tracker_store_url, conversation_id)))


def _turns(rows: Iterable[Any]) -> Iterable[Turn]:
    question: Optional[str] = None
    opened_before = False
    for type_name, timestamp, data in rows:
        event = json.loads(crypto.decrypt(data) or "{}") if data else {}
        at = _moment(timestamp)
        if type_name == "slot" and event.get("name") == "requested_slot":
            question = event.get("value")
        elif type_name == "user":
            turn = _person(event, at, question, opened_before)
            opened_before = opened_before or turn.opening is not None
            yield turn
        elif type_name == "bot":
            buttons = [str(b.get("title", "")) for b in (event.get("data") or {}).get("buttons") or []]
            yield Turn(at, "assistant", event.get("text") or "", buttons)


def _person(event: Dict[str, Any], at: Optional[datetime], question: Optional[str],
            opened_before: bool) -> Turn:
    text = str(event.get("text") or "")
    message_id = event.get("message_id")
    message_id = str(message_id) if message_id else None
    metadata = event.get("metadata") or {}
    command = is_client_command({**(event.get("parse_data") or {}), "text": text})
    if command:
        name = text.strip().split("{", 1)[0]
        if name in c.ALWAYS_BUTTONS:  # a help button: shown by its title, never as the command
            return Turn(at, "person", c.ALWAYS_BUTTONS[name], [], question, pressed=True,
                        message_id=message_id)
        if name == START:
            return Turn(at, "person", text, [], question, opened=True,
                        opening=_opening(text.strip()[len(START):], opened_before), message_id=message_id)
        return Turn(at, "person", text, [], question, opened=True, message_id=message_id)
    pressed = isinstance(metadata, dict) and bool(metadata.get(c.PRESS_KEY))
    return Turn(at, "person", text, [], question, pressed=pressed, message_id=message_id)


def _opening(payload: str, again: bool) -> Opening:
    """The `/start` payload as far as it makes sense; anything odd is left out, never guessed."""
    try:
        values = json.loads(payload) if payload.strip() else {}
    except ValueError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    stage = values.get("stage") if values.get("stage") in c.STAGES else None
    role = values.get("role") if values.get("role") in c.ROLES else None
    ref = values.get("enquiry_ref")
    return Opening(stage, role, str(ref) if isinstance(ref, str) and ref.strip() else None, again)


def _moment(timestamp: Optional[float]) -> Optional[datetime]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(float(timestamp), tz=timezone.utc).replace(tzinfo=None)


def answer_turn(turns: Sequence[Turn], question: str, last: bool = True) -> Optional[Turn]:
    """The person's turn that answered `question` (requested_slot when they spoke): the last, or the first."""
    found = [t for t in turns if t.speaker == "person" and not t.opened and t.question == question]
    if not found:
        return None
    return found[-1] if last else found[0]
