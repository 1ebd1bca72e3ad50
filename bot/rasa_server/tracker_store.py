"""Our tracker store: Rasa's SQL tracker store, except that it never fails quietly.

Configured in the endpoints file `bot/runner/` writes
(`tracker_store: type: bot.rasa_server.tracker_store.StrictSQLTrackerStore`, with the
same keys as Rasa's `SQL` store), for SQLite (the embedded default) and
PostgreSQL alike. Rasa builds it with `class_from_module_path`, importing
this module, and so `bot.rasa_server.hooks`, whose hooks let our errors through.

What it changes in `rasa.core.tracker_store.SQLTrackerStore` (Rasa 3.6.21):

- **Checked connections.** Rasa's engine takes pooled connections as they
  are (no `pool_pre_ping`), so the first save after a PostgreSQL restart
  fails. Ours pings each connection as it is taken from the pool, uses a
  small pool per instance (Rasa's default is 50 + 100 overflow, which a few
  instances would turn into more connections than the server allows), and
  waits at most a few seconds for a connection, a lock or a statement.
  SQL parameters are kept out of error messages and logs (`hide_parameters`):
  they hold what people said.
- **Failures are ours, and loud.** Any failure in `save`, `retrieve`
  (`_retrieve`, also behind `retrieve_full_tracker`) or `keys` becomes
  `TrackerStoreUnavailable`, naming the operation and the cause's type, never
  the person's words. `bot.rasa_server.hooks` makes Rasa's `FailSafeTrackerStore`
  raise it again instead of falling back to memory or to a new conversation.
- **Rasa's `session_scope` exits the process on any ValueError** inside it
  (it takes one for "the PostgreSQL schema was not found"), a bad stored
  event included; ours raises `TrackerStoreUnavailable` instead.
- **One place for the stored form of an event.** `save` and `_retrieve` are
  Rasa's, step for step, except that the `data` column is written by
  `serialise_event_data` and read by `deserialise_event_data` (JSON, exactly
  as Rasa stores it, for now). Encrypting event data means overriding those
  two (and teaching `bot/store/transcripts.py`, which reads the column).
- **The start check** (hook c. in `bot/rasa_server/hooks.py`): `refuse_unless_our_tracker_store`,
  which our channel's blueprint runs once the agent is loaded, stops an instance
  whose tracker store is not this one, on TRACKER_STORE_URL.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, Optional, Text, Tuple, Union

import sqlalchemy as sa
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_engine_kwargs,
    ensure_schema_exists,
)
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

import bot.rasa_server.hooks  # noqa: F401 (installs the hooks that let our errors through Rasa's fallbacks)
from bot.rasa_server.errors import EXIT_MISCONFIGURED, TrackerStoreUnavailable
from bot.settings import PROJECT_ROOT, load_settings
from bot.store import crypto
from bot.store.key_check import check_tracker

__all__ = [
    "StrictSQLTrackerStore",
    "TrackerStoreUnavailable",
    "database_identity",
    "refuse_unless_our_tracker_store",
    "shown_url",
    "tracker_store_problem",
]

logger = logging.getLogger(__name__)

# SQLite: how long a save waits for another writer before it fails.
SQLITE_BUSY_TIMEOUT_S = 5.0
# PostgreSQL, per Rasa instance (the pool's size is in settings: SQL_POOL_SIZE, SQL_MAX_OVERFLOW).
POSTGRES_POOL_TIMEOUT_S = 10
POSTGRES_POOL_RECYCLE_S = 1800
POSTGRES_CONNECT_TIMEOUT_S = 5
POSTGRES_STATEMENT_TIMEOUT_MS = 15_000

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def _as_url(url: Union[str, URL]) -> URL:
    return make_url(url) if isinstance(url, str) else url


def shown_url(url: Union[str, URL]) -> str:
    """The URL as it may be logged: no password."""
    return _as_url(url).render_as_string(hide_password=True)


def database_identity(url: Union[str, URL]) -> Tuple[str, str, Optional[int], str, str]:
    """Which database a URL names: backend, host, port, database (an absolute path for SQLite), user.

    A relative SQLite path is taken from the project root, as `bot/runner/` does.
    """
    parsed = _as_url(url)
    backend = parsed.get_backend_name()
    database = parsed.database or ""
    if backend == "sqlite":
        if database and database != ":memory:":
            path = Path(database)
            database = str((path if path.is_absolute() else PROJECT_ROOT / path).resolve())
        return backend, "", None, database, ""
    port = parsed.port or _DEFAULT_PORTS.get(backend)
    return backend, (parsed.host or "").lower(), port, database, parsed.username or ""


def engine_options(url: Union[str, URL]) -> Dict[str, Any]:
    """`create_engine` options: Rasa's, plus checked connections and our limits."""
    parsed = _as_url(url)
    options: Dict[str, Any] = dict(create_engine_kwargs(parsed))
    options["pool_pre_ping"] = True
    options["hide_parameters"] = True
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    elif backend == "postgresql":
        settings = load_settings()  # inside Rasa's process: nobody can hand us a Settings
        options["pool_size"] = settings.sql_pool_size
        options["max_overflow"] = settings.sql_max_overflow
        options["pool_timeout"] = POSTGRES_POOL_TIMEOUT_S
        options["pool_recycle"] = POSTGRES_POOL_RECYCLE_S
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)
        # Keep Rasa's `-csearch_path=...` (POSTGRESQL_SCHEMA) beside ours.
        ours = f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}"
        connect_args["options"] = " ".join(p for p in (connect_args.get("options"), ours) if p)
        options["connect_args"] = connect_args
    return options


def _unavailable(doing: str, exc: BaseException) -> TrackerStoreUnavailable:
    """Our error for a failure: the operation and the cause's type.

    A database's own "operational" message ("database is locked", "server
    closed the connection unexpectedly") says what happened and never holds
    data, so its first line is kept; no other message is.
    """
    orig = getattr(exc, "orig", None)
    cause = type(exc).__name__ + (f"/{type(orig).__name__}" if orig is not None else "")
    if isinstance(exc, sa.exc.OperationalError) and orig is not None:
        first_line = (str(orig).strip().splitlines() or [""])[0][:200]
        if first_line:
            cause += f": {first_line}"
    return TrackerStoreUnavailable(f"could not {doing} the conversation ({cause})")


class StrictSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore with checked connections; every failure is a `TrackerStoreUnavailable`."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # Rasa's: builds the URL, waits for the database, creates the table
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **engine_options(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        try:
            check_tracker(self.engine)
        except crypto.EncryptionKeyProblem as problem:
            # Not an exception Rasa would swallow (it would fall back to an in-memory store):
            # the instance stops here, before anyone talks to it.
            raise SystemExit(f"The conversations cannot be read: {problem}.") from None

    # The stored form of an event (the seam for encryption) ------------------------------------

    def serialise_event_data(self, data: Dict[Text, Any]) -> Text:
        """An event as its `data` column holds it: Rasa's JSON, encrypted (bot/store/crypto.py).

        Slot events carry the person's words as well as user events, so every
        event's data is encrypted, whatever its type.
        """
        return str(crypto.encrypt(json.dumps(data)))

    def deserialise_event_data(self, stored: Text) -> Dict[Text, Any]:
        """The event a `data` column holds: the inverse of `serialise_event_data` (or JSON from before)."""
        return dict(json.loads(str(crypto.decrypt(stored))))

    def event_row(self, sender_id: Text, event: Event) -> Any:
        """The row for one event: Rasa's columns, with `data` from `serialise_event_data`."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=self.serialise_event_data(data),
        )

    # Rasa's operations, failing loudly --------------------------------------------------------

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Session]:
        """Rasa's, except that a ValueError in the body is not taken for "schema not found" and an exit."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:
                raise TrackerStoreUnavailable(
                    f"the PostgreSQL schema {missing} (POSTGRESQL_SCHEMA) does not exist"
                ) from None
            yield session
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`: the new events in one transaction. All of them are stored, or none."""
        try:
            await self.stream_events(tracker)
            with self.session_scope() as session:
                for event in self._additional_events(session, tracker):
                    session.add(self.event_row(tracker.sender_id, event))
                session.commit()
        except TrackerStoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 (every failure: loud, never the person's words)
            raise _unavailable("save", exc) from exc

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        """Rasa's `_retrieve`: None only when the conversation has no events, never on a failure."""
        try:
            with self.session_scope() as session:
                rows = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
                ).all()
                stored = [row.data for row in rows]
            events = [self.deserialise_event_data(data) for data in stored]
            if not (self.domain and events):
                return None
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        except TrackerStoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unavailable("read", exc) from exc

    async def keys(self) -> Iterable[Text]:
        try:
            return list(await super().keys())
        except TrackerStoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unavailable("list", exc) from exc


# The start check (c. in bot/rasa_server/hooks.py): an instance refuses to run without this store ----------


def innermost_store(store: Any) -> Any:
    """The store doing the work, inside Rasa's FailSafeTrackerStore / AwaitableTrackerStore wrappers."""
    while isinstance(store, (FailSafeTrackerStore, AwaitableTrackerStore)):
        store = store._tracker_store
    return store


def tracker_store_problem(store: Optional[TrackerStore], configured_url: str) -> Optional[str]:
    """Why `store` is not our StrictSQLTrackerStore on `configured_url`, or None when it is."""
    if store is None:
        return "no agent (and so no tracker store) was loaded"
    inner = innermost_store(store)
    if not isinstance(inner, StrictSQLTrackerStore):
        return (
            f"the tracker store in use is {type(inner).__name__}, not StrictSQLTrackerStore: check "
            "`tracker_store: type: bot.rasa_server.tracker_store.StrictSQLTrackerStore` in the endpoints file"
        )
    if database_identity(inner.engine.url) != database_identity(configured_url):
        return (
            f"the tracker store uses {shown_url(inner.engine.url)}, but TRACKER_STORE_URL is "
            f"{shown_url(configured_url)}"
        )
    return None


async def refuse_unless_our_tracker_store(app: Any, _loop: Any) -> None:
    """Sanic `after_server_start` listener: stop this instance unless its conversations are kept safely."""
    agent = getattr(app.ctx, "agent", None)
    problem = tracker_store_problem(getattr(agent, "tracker_store", None), load_settings().tracker_store_url)
    if problem is not None:
        logger.critical(
            "Refusing to run: %s. Conversations would not be kept safely. Exiting with status %d.",
            problem, EXIT_MISCONFIGURED,
        )
        raise SystemExit(EXIT_MISCONFIGURED)
    logger.info("The tracker store is StrictSQLTrackerStore on TRACKER_STORE_URL.")
