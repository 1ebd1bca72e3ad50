"""Shared fixtures.

`record_db` gives each test a fresh, migrated SQLite database. `postgres_url`
gives the test run a fresh, migrated PostgreSQL database (created on the
server named by TEST_POSTGRES_URL, dropped at the end): what must hold in
production is tested on the production database, not only on SQLite.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def record_db(tmp_path: Path) -> Iterator[str]:
    from bot.store import db
    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    previous = db.configured_url()
    db.configure(url)
    yield url
    if previous:
        db.configure(previous)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped afterwards.

    The admin URL (TEST_POSTGRES_URL) must be allowed to CREATE DATABASE. When
    the server does not answer the test fails, unless MSP_TEST_PRODUCTION=0
    says this machine has no PostgreSQL: then it is skipped, with the reason.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from bot.store import db
    from bot.store.migrate import upgrade

    admin_url = os.environ.get("TEST_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_ADMIN_URL
    shown = make_url(admin_url).render_as_string(hide_password=True)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True,
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL does not answer at {shown} ({type(exc.orig).__name__})"
        if os.environ.get("MSP_TEST_PRODUCTION", "").strip() == "0":
            pytest.skip(f"{reason}; skipped because MSP_TEST_PRODUCTION=0")
        pytest.fail(
            f"{reason}. Point TEST_POSTGRES_URL at a server where this user may CREATE DATABASE "
            "(e.g. postgresql://postgres@127.0.0.1:5432/postgres), or set MSP_TEST_PRODUCTION=0 "
            "to skip the PostgreSQL tests on a machine without one.",
            pytrace=False,
        )
    name = f"msp_test_{uuid.uuid4().hex[:12]}"
    # An identifier cannot be a bound parameter: quoted by the dialect instead.
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quoted}"))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        engine = db._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def pg_record_db(postgres_url: str) -> Iterator[str]:
    """The run's PostgreSQL database, emptied, with the session factory pointed at it."""
    from sqlalchemy import text

    from bot.store import db

    engine = db.get_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE alert_attempts, alerts, outcomes, conversations, audit_events "
                          "RESTART IDENTITY CASCADE"))
    previous = db.configured_url()
    db.configure(postgres_url)
    yield postgres_url
    if previous:
        db.configure(previous)


# The running servers (session-wide, shared by the end-to-end and browser tests).
from tests.live import live  # noqa: E402,F401
