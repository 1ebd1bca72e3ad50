"""Read a whole conversation back from Rasa's SQL tracker store, turn by turn.

Plain SQLAlchemy over the tracker store's `events` table (reflected, not
re-declared), so a practitioner's tool needs neither Rasa nor a model loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.exc import NoSuchTableError

from bot.commands import is_client_command
from bot.store import crypto


@dataclass(frozen=True)
class Turn:
    at: str
    speaker: str  # "person" or "assistant"
    text: str
    buttons: List[str]
    question: Optional[str] = None
    opened: bool = False  # the client's `/start{...}`, not words the person typed


def read_transcript(tracker_store_url: str, conversation_id: str) -> List[Turn]:
    engine = create_engine(tracker_store_url, future=True)
    try:
        events = Table("events", MetaData(), autoload_with=engine)
    except NoSuchTableError:
        return []
    query = (
        select(events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == conversation_id)
        .order_by(events.c.id)
    )
    turns: List[Turn] = []
    question: Optional[str] = None
    with engine.connect() as connection:
        for type_name, timestamp, data in connection.execute(query):
            event = json.loads(crypto.decrypt(data) or "{}") if data else {}
            if type_name == "slot" and event.get("name") == "requested_slot":
                question = event.get("value")
            elif type_name == "user":
                text = event.get("text") or ""
                opened = is_client_command({**(event.get("parse_data") or {}), "text": text})
                turns.append(Turn(_iso(timestamp), "person", text, [], question, opened))
            elif type_name == "bot":
                buttons = [b.get("title", "") for b in (event.get("data") or {}).get("buttons") or []]
                turns.append(Turn(_iso(timestamp), "assistant", event.get("text") or "", buttons))
    engine.dispose()
    return turns


def _iso(timestamp: Optional[float]) -> str:
    if timestamp is None:
        return ""
    moment = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
