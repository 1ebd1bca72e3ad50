"""Engine and session factory: one short-lived session per unit of work.

Nothing is created at import time. `configure(url)` points the factory at a
database (tests use a throw-away one); the schema comes from Alembic.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()  # page views in threads ask for the same URL at the same time
_factory: Optional[sessionmaker] = None
_url: Optional[str] = None


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
    """Commit on success, roll back on error, always close."""
    session: Session = _ensure_configured()()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
