"""Our tracker store: checked connections, and every failure a loud `TrackerStoreUnavailable`.

Built the way `rasa run` builds it, from the endpoints `bot/runner/` writes
(`TrackerStore.create` with that EndpointConfig), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import tracker_store as ts
from bot.rasa_server.tracker_store import (
    StrictSQLTrackerStore,
    TrackerStoreUnavailable,
    database_identity,
    engine_options,
)
from bot.runner import TRACKER_STORE_CLASS, tracker_store_endpoint
from bot.settings import PROJECT_ROOT
from bot.store import crypto

SECRET_WORDS = "he locks me in the shed at night"
DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  feels_safe_now:
    type: any
    mappings: [{type: custom}]
""")


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def make_store(url: str) -> StrictSQLTrackerStore:
    """As `rasa run` does it: the runner's endpoint config through Rasa's factory."""
    store = TrackerStore.create(EndpointConfig.from_dict(tracker_store_endpoint(url)), domain=DOMAIN)
    assert isinstance(store, StrictSQLTrackerStore), type(store).__name__
    return store


def a_turn(sender: str, words: str = SECRET_WORDS) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
         UserUttered(words, {"name": "free_text", "confidence": 0.9}), SlotSet("feels_safe_now", "no")],
        slots=DOMAIN.slots,
    )


def stored_rows(path: Path, sender: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0])


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def store(sqlite_path: Path) -> Iterator[StrictSQLTrackerStore]:
    created = make_store(f"sqlite:///{sqlite_path}")
    yield created
    created.engine.dispose()


# The runner's configuration -------------------------------------------------------------------


def test_the_runner_configures_our_store_with_rasas_keys(tmp_path: Path) -> None:
    config = tracker_store_endpoint(f"sqlite:///{tmp_path / 't.db'}")
    assert config == {"type": TRACKER_STORE_CLASS, "dialect": "sqlite", "db": str(tmp_path / "t.db")}
    config = tracker_store_endpoint("postgresql://msp:pw@db.example:6543/conversations")
    assert config == {"type": TRACKER_STORE_CLASS, "dialect": "postgresql", "url": "db.example",
                      "port": 6543, "db": "conversations", "username": "msp", "password": "pw"}


def test_connections_are_checked_and_parameters_never_shown(store: StrictSQLTrackerStore) -> None:
    assert store.engine.pool._pre_ping is True
    assert store.engine.hide_parameters is True


def test_postgresql_gets_a_small_checked_pool_and_time_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQL_POOL_SIZE", raising=False)
    monkeypatch.setenv("POSTGRESQL_SCHEMA", "msp")
    options = engine_options("postgresql://msp:pw@db.example/conversations")
    assert options["pool_pre_ping"] is True and options["hide_parameters"] is True
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (5, 10, 10)
    assert options["connect_args"]["connect_timeout"] == 5
    # Rasa's search_path for POSTGRESQL_SCHEMA is kept beside our statement timeout.
    assert options["connect_args"]["options"] == "-csearch_path=msp -c statement_timeout=15000"


def test_database_identity_names_the_same_database_however_written() -> None:
    assert database_identity("sqlite:///var/tracker.db") == database_identity(
        f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}")
    assert database_identity("sqlite:///var/tracker.db") != database_identity("sqlite:///var/other.db")
    assert database_identity("postgresql://u:a@DB.example/c") == database_identity(
        "postgresql+psycopg2://u:b@db.example:5432/c")
    assert database_identity("postgresql://u@h/c") != database_identity("postgresql://u@h/d")


# Working as Rasa's does -------------------------------------------------------------------------


def test_a_conversation_is_saved_and_read_back(store: StrictSQLTrackerStore, sqlite_path: Path) -> None:
    turn = a_turn("s1")
    run(store.save(turn))
    again = run(store.retrieve("s1"))
    assert again is not None and again.latest_message.text == SECRET_WORDS
    assert again.get_slot("feels_safe_now") == "no"
    assert stored_rows(sqlite_path, "s1") == 5
    assert run(store.retrieve("nobody")) is None, "a conversation with no events is None, as in Rasa"
    assert list(run(store.keys())) == ["s1"]
    # Stored encrypted; opened, it is exactly what Rasa stores, so `msp transcript` reads it.
    with sqlite3.connect(sqlite_path) as conn:
        raw = [d for (d,) in conn.execute("SELECT data FROM events ORDER BY id")]
    assert all(d.startswith(crypto.PREFIX) for d in raw)
    assert "shed" not in " ".join(raw)
    assert [json.loads(crypto.decrypt(d)) for d in raw] == [e.as_dict() for e in turn.events]


def test_the_event_data_seam_is_used_both_ways(sqlite_path: Path) -> None:
    """Where encryption will go: every stored `data` passes through the two hooks."""

    class Encoded(StrictSQLTrackerStore):
        def serialise_event_data(self, data: Dict[str, Any]) -> str:
            return base64.b64encode(super().serialise_event_data(data).encode()).decode()

        def deserialise_event_data(self, stored: str) -> Dict[str, Any]:
            return super().deserialise_event_data(base64.b64decode(stored).decode())

    store = Encoded(domain=DOMAIN, dialect="sqlite", db=str(sqlite_path))
    run(store.save(a_turn("s1")))
    with sqlite3.connect(sqlite_path) as conn:
        raw = " ".join(d for (d,) in conn.execute("SELECT data FROM events"))
    assert "shed" not in raw
    assert run(store.retrieve("s1")).latest_message.text == SECRET_WORDS


# Failing loudly ---------------------------------------------------------------------------------


def test_a_locked_database_fails_the_save_and_stores_nothing(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ts, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    store = make_store(f"sqlite:///{sqlite_path}")
    run(store.save(a_turn("s1", "first")))
    before = stored_rows(sqlite_path, "s1")
    tracker = run(store.retrieve("s1"))
    tracker.update(UserUttered(SECRET_WORDS, {"name": "free_text", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_listen"))

    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer: reading works, writing waits, then fails
    try:
        with pytest.raises(TrackerStoreUnavailable) as failed:
            run(store.save(tracker))
        assert run(store.retrieve("s1")) is not None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "could not save" in str(failed.value) and "database is locked" in str(failed.value)
    assert SECRET_WORDS not in str(failed.value) and SECRET_WORDS not in str(failed.value.__cause__)
    assert stored_rows(sqlite_path, "s1") == before, "all of the turn, or none of it"

    run(store.save(tracker))  # the database is back: the same turn is saved whole
    assert stored_rows(sqlite_path, "s1") == before + 2
    store.engine.dispose()


def test_a_missing_table_fails_save_read_and_list(store: StrictSQLTrackerStore, sqlite_path: Path) -> None:
    run(store.save(a_turn("s1")))
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("DROP TABLE events")
    for operation in (store.save(a_turn("s1")), store.retrieve("s1"), store.retrieve_full_tracker("s1"),
                      store.keys(), store.exists("s1")):
        with pytest.raises(TrackerStoreUnavailable) as failed:
            run(operation)
        assert "no such table" in str(failed.value)
        assert SECRET_WORDS not in str(failed.value) and SECRET_WORDS not in str(failed.value.__cause__)


def test_a_corrupt_event_is_an_error_not_an_exit(store: StrictSQLTrackerStore, sqlite_path: Path) -> None:
    """Rasa's session_scope takes any ValueError for "schema not found" and exits the process."""
    run(store.save(a_turn("s1")))
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("UPDATE events SET data = 'not json' WHERE id = 2")
    with pytest.raises(TrackerStoreUnavailable, match="could not read"):
        run(store.retrieve("s1"))


def test_a_database_file_that_cannot_be_opened_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = make_store(f"sqlite:///{path}")
    path.unlink()
    path.mkdir()  # a directory where the database was: nothing can be opened
    with pytest.raises(TrackerStoreUnavailable, match="unable to open database file"):
        run(store.retrieve("s1"))
    store.engine.dispose()


# PostgreSQL: a restart of the server is what Rasa's own store cannot take ------------------------


@pytest.fixture
def tracker_pg_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server (the run's records database is left alone)."""
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"msp_tracker_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cut_connections(url: str) -> None:
    """What a PostgreSQL restart does to every pooled connection."""
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :db AND pid <> pg_backend_pid()"),
                     {"db": make_url(url).database})
    admin.dispose()


def test_postgresql_connections_cut_by_a_restart_are_replaced(tracker_pg_url: str) -> None:
    ours = make_store(tracker_pg_url)
    rasas = SQLTrackerStore(domain=DOMAIN, dialect="postgresql", host=tracker_pg_url)
    for store in (ours, rasas):
        run(store.save(a_turn("before")))  # leaves a connection in each pool
    _cut_connections(tracker_pg_url)

    with pytest.raises(sa.exc.OperationalError):
        run(rasas.save(a_turn("rasa-after")))  # Rasa's own store: the stale connection fails the save
    run(ours.save(a_turn("after")))  # ours: pinged, found dead, replaced
    assert run(ours.retrieve("after")).latest_message.text == SECRET_WORDS
    assert sorted(run(ours.keys())) == ["after", "before"]
    for store in (ours, rasas):
        store.engine.dispose()


def test_the_urls_query_reaches_the_connection(tracker_pg_url: str) -> None:
    """`?sslmode=...` and the like are the driver's: lost, a managed PostgreSQL would be reached without TLS."""
    config = tracker_store_endpoint("postgresql://msp:pw@db.example/c?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    assert config["query"] == {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}
    store = make_store(f"{tracker_pg_url}?application_name=msp-query-check&sslmode=disable")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_setting('application_name')")).scalar() == "msp-query-check"
    run(store.save(a_turn("s1")))
    assert run(store.retrieve("s1")).latest_message.text == SECRET_WORDS
    store.engine.dispose()


def test_postgresql_down_is_a_loud_failure(tracker_pg_url: str) -> None:
    store = make_store(tracker_pg_url)
    run(store.save(a_turn("s1")))
    store.engine.dispose()
    store.engine = sa.create_engine(  # the same store, pointed at a port where nothing listens
        store.engine.url.set(port=1), **engine_options(store.engine.url))
    store.sessionmaker = sa.orm.sessionmaker(bind=store.engine)
    with pytest.raises(TrackerStoreUnavailable, match="could not read.*OperationalError"):
        run(store.retrieve("s1"))
    store.engine.dispose()
