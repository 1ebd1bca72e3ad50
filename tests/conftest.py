"""Shared fixtures.

`record_db` gives each test a fresh, migrated SQLite database. `postgres_url`
gives the test run a fresh, migrated PostgreSQL database (created on the
server named by TEST_POSTGRES_URL, dropped at the end): what must hold in
production is tested on the production database, not only on SQLite.
`postgres_server` makes more such databases (tests/production/ uses its own);
`redis_target` is the Redis at TEST_REDIS_URL with a key prefix of this run's.
When a server does not answer, those tests fail and say how to point them
elsewhere; MSP_TEST_PRODUCTION=0 skips them instead, and the terminal summary
says so.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

# A key of the tests' own, so the person's words are encrypted in every test as in use.
# (A real deployment gets its own from `msp setup`; this one protects nothing.)
TEST_ENCRYPTION_KEY = "6Sx3bq4GzU9E1X0v0y4x2w6B8a2Q7mQ2V3nHcJk9Lzg="
os.environ.setdefault("MSP_ENCRYPTION_KEYS", TEST_ENCRYPTION_KEY)

DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


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


def pytest_configure(config: Any) -> None:
    # Registered here rather than in pyproject.toml, whose every change rebuilds the venv.
    config.addinivalue_line(
        "markers",
        "production: the production path (PostgreSQL, Redis, several instances, faults); needs the servers "
        "at TEST_POSTGRES_URL and TEST_REDIS_URL, or MSP_TEST_PRODUCTION=0 to skip (said in the summary)",
    )


def production_opted_out() -> bool:
    """MSP_TEST_PRODUCTION=0: this machine has no PostgreSQL or Redis to test on (said in the summary)."""
    return os.environ.get("MSP_TEST_PRODUCTION", "").strip() == "0"


# Why production-path tests did not run, for the terminal summary: never a silent opt-out.
OPTED_OUT: List[str] = []

POINT_AT_SERVERS = (
    "Point TEST_POSTGRES_URL at a PostgreSQL server where this user may CREATE DATABASE "
    f"(default {DEFAULT_POSTGRES_ADMIN_URL}) and TEST_REDIS_URL at a Redis server (default "
    f"{DEFAULT_REDIS_URL}), or set MSP_TEST_PRODUCTION=0 to skip the production-path tests on a "
    "machine without them (the summary then says so)."
)


def _unavailable(reason: str) -> None:
    """Fail, or with MSP_TEST_PRODUCTION=0 skip and remember why for the summary."""
    if production_opted_out():
        OPTED_OUT.append(reason)
        pytest.skip(f"{reason}; skipped because MSP_TEST_PRODUCTION=0")
    pytest.fail(f"{reason}. {POINT_AT_SERVERS}", pytrace=False)


class PostgresServer:
    """The server at TEST_POSTGRES_URL: makes fresh databases and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.admin_url = admin_url
        # No pool: a fault test may restart the server between two uses.
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True, poolclass=NullPool,
                                   connect_args={"connect_timeout": 5})
        self.made: List[str] = []

    def answers(self) -> Optional[str]:
        """None when the server answers, else why not."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import OperationalError

        try:
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            shown = make_url(self.admin_url).render_as_string(hide_password=True)
            return f"PostgreSQL does not answer at {shown} ({type(exc.orig).__name__})"
        return None

    def fresh_database(self, label: str = "test") -> str:
        """A new, empty database (dropped by `drop_all`); returns its URL."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        name = f"msp_{label}_{uuid.uuid4().hex[:12]}"
        # An identifier cannot be a bound parameter: quoted by the dialect instead.
        quoted = self.admin.dialect.identifier_preparer.quote(name)
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {quoted}"))
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop the databases this run made, and only those."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        from bot.store import db

        for name in self.made:
            url = make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
            engine = db._engines.pop(url, None)
            if engine is not None:
                engine.dispose()
            quoted = self.admin.dialect.identifier_preparer.quote(name)
            with self.admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        self.made.clear()
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server tests may make databases on; fails (or skips, opted out) if it does not answer."""
    server = PostgresServer(os.environ.get("TEST_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_ADMIN_URL)
    problem = server.answers()
    if problem:
        server.admin.dispose()
        _unavailable(problem)
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh PostgreSQL database for this run, migrated to head, dropped afterwards.

    The admin URL (TEST_POSTGRES_URL) must be allowed to CREATE DATABASE. When
    the server does not answer the test fails, unless MSP_TEST_PRODUCTION=0
    says this machine has no PostgreSQL: then it is skipped, with the reason.
    """
    from bot.store.migrate import upgrade

    url = postgres_server.fresh_database("test")
    upgrade(url)
    return url


@dataclass(frozen=True)
class RedisTarget:
    """The Redis at TEST_REDIS_URL, and this run's own key prefix there."""

    url: str
    prefix: str

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def keys(self) -> List[str]:
        return sorted(k.decode() for k in self.client().scan_iter(match=f"{self.prefix}:*"))


@pytest.fixture(scope="session")
def redis_target() -> Iterator[RedisTarget]:
    """This run's Redis: a prefix of its own (alphanumeric, as Rasa wants), its keys removed at the end."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "").strip() or DEFAULT_REDIS_URL
    target = RedisTarget(url, f"msptest{uuid.uuid4().hex[:10]}")
    try:
        target.client().ping()
    except (redis.RedisError, OSError) as exc:
        _unavailable(f"Redis does not answer at {_hide_password(url)} ({type(exc).__name__})")
    try:
        yield target
    finally:
        try:
            client = target.client()
            for key in client.scan_iter(match=f"{target.prefix}:*"):
                client.delete(key)
        except (redis.RedisError, OSError):
            pass  # a test restarted it without saving: nothing left to remove


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[-1]}").geturl()
    return url


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """Say so, loudly, when the production path was not tested."""
    if not production_opted_out():
        return
    terminalreporter.write_sep("=", "PRODUCTION PATH NOT TESTED (MSP_TEST_PRODUCTION=0)", red=True, bold=True)
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "MSP_TEST_PRODUCTION=0" in str(getattr(r, "longrepr", ""))]
    if OPTED_OUT or skipped:
        for reason in dict.fromkeys(OPTED_OUT):
            terminalreporter.write_line(f"  {reason}")
        terminalreporter.write_line(
            f"  {len(skipped)} test(s) skipped: PostgreSQL, Redis, several instances and the fault tests "
            "were not run. Unset MSP_TEST_PRODUCTION (CI never sets it) to run them.")
    else:
        terminalreporter.write_line(
            "  MSP_TEST_PRODUCTION=0 is set, but every server needed answered: nothing was skipped.")


@pytest.fixture
def pg_record_db(postgres_url: str) -> Iterator[str]:
    """The run's PostgreSQL database, emptied, with the session factory pointed at it."""
    from sqlalchemy import text

    from bot.store import db

    engine = db.get_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE alert_attempts, alerts, corrections, outcomes, conversations, audit_events, "
                          "invitations, key_check "
                          "RESTART IDENTITY CASCADE"))
    previous = db.configured_url()
    db.configure(postgres_url)
    yield postgres_url
    if previous:
        db.configure(previous)


# The running servers (session-wide, shared by the end-to-end and browser tests).
from tests.live import live  # noqa: E402,F401
