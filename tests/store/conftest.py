"""Fixtures of the store tests: the records database and a tracker store, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
