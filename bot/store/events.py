"""Rasa's `events` table, in the tracker store: every read and write of it from our code is here.

The tracker store is its own database (TRACKER_STORE_URL), written by Rasa's
SQLTrackerStore (bot/rasa_server/tracker_store.py). Its `events` table is
reflected, never re-declared, so a practitioner's tool needs neither Rasa nor
a model loaded; a missing table is a tracker store no conversation has
reached yet (nothing to read, nothing to erase).

Who uses what:
- the transcript (`transcripts.py`): one conversation's rows, in order;
- erasure and retention (`privacy.py`, `retention.py`): counts, deletes, and
  the conversations idle since a moment;
- the start check (`key_check.py`): the newest encrypted event;
- key rotation (`rotation.py`): the encrypted `data` column (`ROTATED`).

Reading engines are kept per URL for the life of the process, in
`bot.store.db`'s cache (the workspace reads a transcript on every conversation
page); the one-off commands that delete open their own engine without a pool.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence, Tuple, TypeVar

from sqlalchemy import MetaData, Table, create_engine, delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.pool import NullPool

from bot.store.db import get_engine

TABLE = "events"
# (table, id column, secret column) for key rotation: the event's JSON holds the person's words.
ROTATED: Tuple[Tuple[str, str, str], ...] = ((TABLE, "id", "data"),)
# Conversation ids per IN (...) list.
IN_CHUNK = 500

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def tracker_url(tracker_store_url: Optional[str]) -> str:
    """The URL given, or TRACKER_STORE_URL from the settings."""
    if tracker_store_url:
        return tracker_store_url
    from bot.settings import load_settings

    return load_settings().tracker_store_url


def reflect(engine: Engine) -> Optional[Table]:
    """The `events` table, reflected (None when the tracker store has no such table yet)."""
    try:
        return Table(TABLE, MetaData(), autoload_with=engine)
    except NoSuchTableError:
        return None


@contextmanager
def opened(tracker_store_url: str) -> Iterator[Tuple[Optional[Table], Engine]]:
    """The table and an engine without a pool, disposed at the end (for erasure and retention runs)."""
    engine = create_engine(tracker_store_url, future=True, poolclass=NullPool)
    try:
        yield reflect(engine), engine
    finally:
        engine.dispose()


def conversation_rows(tracker_store_url: str, conversation_id: str) -> List[Tuple[Any, Any, Any]]:
    """One conversation's events in order: (type_name, timestamp, data); [] when there is no table.

    The engine is the cached one for the URL (`bot.store.db.get_engine`), so page views share it."""
    engine = get_engine(tracker_store_url)
    events = reflect(engine)
    if events is None:
        return []
    query = (
        select(events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == conversation_id)
        .order_by(events.c.id)
    )
    with engine.connect() as connection:
        return [(type_name, timestamp, data) for type_name, timestamp, data in connection.execute(query)]


def count_for(connection: Connection, events: Table, sender_ids: Sequence[str]) -> int:
    total = 0
    for chunk in chunks(sender_ids):
        total += int(connection.execute(
            select(func.count()).select_from(events).where(events.c.sender_id.in_(chunk))).scalar_one())
    return total


def delete_for(connection: Connection, events: Table, sender_ids: Sequence[str]) -> int:
    removed = 0
    for chunk in chunks(sender_ids):
        removed += int(connection.execute(delete(events).where(events.c.sender_id.in_(chunk))).rowcount or 0)
    return removed


def idle_senders(connection: Connection, events: Table, before_epoch: float) -> List[str]:
    """The conversation ids whose last event is older than `before_epoch` (seconds, UTC)."""
    return [str(s) for s in connection.execute(
        select(events.c.sender_id).group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < before_epoch)).scalars()]


def newest_with_prefix(engine: Any, prefix: str) -> Optional[str]:
    """The `data` of the newest event that starts with `prefix` (None when none does, or no table)."""
    events = reflect(engine)
    if events is None:
        return None
    query = select(events.c.data).where(events.c.data.startswith(prefix, autoescape=True)) \
        .order_by(events.c.id.desc()).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).scalar()
