"""Shared fixtures. `record_db` gives each test a fresh, migrated SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest


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
