"""Engine and session factory: one short-lived session per unit of work.

Nothing is created at import time. `configure(url)` points the factory at a
database (tests use a throw-away one); the schema comes from Alembic.

A person's turn is one unit of work: `one_transaction()` (opened by the actions
around each turn) makes every `session_scope()` inside it share one session, so the
turn's answers, wishes and status are written together, once, at the end, or not at
all. `commit_now()` is the exception: a flag and its duty alert are committed the
moment they are written, because the person is told "I am sending an urgent message"
only once that is true, whatever else the turn then does.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

SQLITE_POOL_SIZE = 5  # connections kept open to a SQLite file (more, up to the overflow, close after use)
SQLITE_POOL_OVERFLOW = 10
_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()  # page views in threads ask for the same URL at the same time
_factory: Optional[sessionmaker] = None
_url: Optional[str] = None
# The session of the turn being handled in this thread (asyncio.to_thread copies the context, so a
# turn never leaks into another request's thread).
_turn: ContextVar[Optional[Session]] = ContextVar("msp_turn_session", default=None)
_FAILED = "msp_turn_failed"  # session.info key: a write of this turn failed, so nothing of it is kept


class TurnNotSaved(RuntimeError):
    """A write in this turn failed: the turn's record writes were rolled back, and the person must be told."""


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets a practitioner export while the assistant writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process (engines pool connections; building one is slow).

    The records database and the tracker store (read by `bot/store/events.py`) share this cache."""
    with _engines_lock:
        return _engines.get(url) or _new_engine(url)


def _new_engine(url: str) -> Engine:
    if url not in _engines:
        parsed = make_url(url)
        # hide_parameters: a failed statement's error (and so a log or traceback) never holds its values.
        kwargs: Dict[str, Any] = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                # SQLAlchemy 1.4 gives a file database no pool: every session would open a connection
                # and set its pragmas again. A few kept open serve the action server's worker threads.
                kwargs.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE,
                              max_overflow=SQLITE_POOL_OVERFLOW)
            kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_engine(url, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _enable_sqlite_pragmas)
        _engines[url] = engine
    return _engines[url]


def dispose(url: str) -> None:
    """Close the pooled connections of `url`'s engine and forget it (the next `get_engine` builds anew)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    """Every cached engine disposed and forgotten (the records database's and the tracker store's)."""
    for url in list(_engines):
        dispose(url)


def configure(url: str) -> None:
    """Point the session factory at `url`; the engine of the database it pointed at before is disposed."""
    global _factory, _url
    if _url is not None and _url != url:
        dispose(_url)
    _factory = sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)
    _url = url


def configured_url() -> Optional[str]:
    return _url


def _ensure_configured() -> sessionmaker:
    if _factory is None:
        from bot.settings import load_settings

        configure(load_settings().database_url)
    assert _factory is not None
    return _factory


@contextmanager
def session_scope() -> Iterator[Session]:
    """Commit on success, roll back on error, always close; inside a turn, the turn's session instead."""
    shared = _turn.get()
    if shared is not None:
        with _joined(shared) as joined:
            yield joined
        return
    session: Session = _ensure_configured()()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def _joined(session: Session) -> Iterator[Session]:
    """One store call inside a turn: flushed at once (an error shows at the call that made it), committed
    with the turn. A failure rolls the turn back and marks it, so the turn ends in `TurnNotSaved` even if
    the caller carries on (a mark that could not be written must not leave half a turn saved)."""
    try:
        yield session
        session.flush()
    except Exception:
        _roll_back(session)
        session.info[_FAILED] = True
        raise


@contextmanager
def one_transaction() -> Iterator[None]:
    """Every store call inside shares one session and one transaction: committed once at the end, rolled
    back whole on error. Nested, it joins the turn already open."""
    if _turn.get() is not None:
        yield
        return
    session: Session = _ensure_configured()()
    token = _turn.set(session)
    try:
        yield
        save_turn()
    except Exception:
        _roll_back(session)
        raise
    finally:
        _turn.reset(token)
        session.close()


def _roll_back(session: Session) -> None:
    """Roll back, and forget what the session had read (its rows may no longer exist)."""
    session.rollback()
    session.info.clear()


def save_turn() -> None:
    """Commit what the turn has written so far (a no-op outside a turn). Raises `TurnNotSaved` when one of
    its writes failed, after rolling them back, so the person is told and asked again."""
    session = _turn.get()
    if session is None:
        return
    if session.info.get(_FAILED):
        _roll_back(session)
        raise TurnNotSaved("a write of this turn failed; none of its record writes were kept")
    session.commit()


def commit_now(session: Session) -> None:
    """A commit point inside a turn (a flag and its alert): what the turn has written so far is committed
    now, even after a failed write (already rolled back): the flag must not wait on it, and the turn still
    ends in `TurnNotSaved`. Outside a turn, `session_scope` commits on leaving anyway."""
    turn = _turn.get()
    if turn is not None and turn is session:
        turn.commit()
