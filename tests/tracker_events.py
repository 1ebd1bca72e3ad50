"""Rasa tracker events written straight into a throw-away tracker store (tests/privacy_data.py's table).

Each event is a dictionary as Rasa stores it (`{"event": "user", "timestamp": ..., ...}`);
the helpers here build the few kinds the transcript reads, with no Rasa and no model.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa

from tests.privacy_data import EVENTS


def stamp(moment: datetime) -> float:
    """A naive UTC time as Rasa's float timestamp."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def asked(question: Optional[str], at: datetime) -> Dict[str, Any]:
    return {"event": "slot", "name": "requested_slot", "value": question, "timestamp": stamp(at)}


def said(text: str, at: datetime, message_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
         command: bool = False) -> Dict[str, Any]:
    """A user event: typed words, or (command=True) a trusted client's `/intent{...}` as Rasa unpacks it."""
    intent = {"name": text.strip("/").split("{")[0] or "inform", "confidence": 1.0 if command else 0.9}
    ranking = [intent] if command else [intent, {"name": "out_of_scope", "confidence": 0.1}]
    event: Dict[str, Any] = {"event": "user", "text": text, "timestamp": stamp(at),
                             "parse_data": {"text": text, "intent": intent, "intent_ranking": ranking},
                             "metadata": metadata or {}}
    if message_id:
        event["message_id"] = message_id
    return event


def replied(text: str, at: datetime, buttons: Sequence[str] = ()) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": stamp(at),
            "data": {"buttons": [{"title": b, "payload": b} for b in buttons]}}


def add_events(url: str, sender: str, events: List[Dict[str, Any]]) -> None:
    engine = sa.create_engine(url, future=True)
    table = sa.Table(EVENTS, sa.MetaData(), autoload_with=engine)
    rows = [{"sender_id": sender, "type_name": e["event"], "timestamp": e.get("timestamp"),
             "intent_name": None, "action_name": None, "data": json.dumps(e)} for e in events]
    with engine.begin() as conn:
        conn.execute(sa.insert(table), rows)
    engine.dispose()
