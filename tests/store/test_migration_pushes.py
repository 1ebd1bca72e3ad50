"""Migration 0009 (record pushes) on SQLite and on PostgreSQL: up, down, up again, and the same as the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store import db
from bot.store.migrate import alembic_config, upgrade
from bot.store.models import Base

TABLE = "record_pushes"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    return str(request.getfixturevalue("postgres_server").fresh_database("migrate"))


def _differences(url: str) -> list:  # type: ignore[type-arg]
    """What autogenerate would change for the pushes table (nothing, when the migration matches the model)."""
    with db.get_engine(url).connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in found if TABLE in repr(d)]


def test_record_pushes_migrate_up_down_and_up_again(empty_url: str) -> None:
    upgrade(empty_url, "0008")
    assert TABLE not in inspect(db.get_engine(empty_url)).get_table_names()
    upgrade(empty_url)
    assert TABLE in inspect(db.get_engine(empty_url)).get_table_names()
    assert _differences(empty_url) == []
    command.downgrade(alembic_config(empty_url), "0008")
    assert TABLE not in inspect(db.get_engine(empty_url)).get_table_names()
    upgrade(empty_url)
    assert _differences(empty_url) == []
    db.dispose(empty_url)
