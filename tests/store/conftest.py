"""Fixtures of the store tests: the records database and a tracker store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, List

import pytest

from tests.privacy_data import make_tracker


@dataclass(frozen=True)
class Stores:
    records_url: str
    tracker_url: str


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Stores:
    """The records database (migrated, the session factory pointed at it) and a tracker store shaped
    like Rasa's (tests/privacy_data.py), both SQLite or both PostgreSQL."""
    if request.param == "sqlite":
        records_url = request.getfixturevalue("record_db")
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        records_url = request.getfixturevalue("pg_record_db")
        tracker_url = request.getfixturevalue("postgres_server").fresh_database("tracker")
    make_tracker(tracker_url)
    return Stores(records_url, tracker_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, for a migration's up, down and up again."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    return str(request.getfixturevalue("postgres_server").fresh_database("migrate"))


def schema_differences(url: str, table: str) -> List[Any]:
    """What autogenerate would change for `table` (nothing, when the migrations match the models)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store import db
    from bot.store.models import Base

    with db.get_engine(url).connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in found if table in repr(d)]
