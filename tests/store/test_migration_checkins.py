"""Migration 0011 (check-ins) on SQLite and on PostgreSQL: up, down, up again, and the same as the model."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.store import db
from bot.store.migrate import alembic_config, upgrade
from tests.store.conftest import schema_differences

TABLE = "checkins"


def _columns(url: str) -> set:  # type: ignore[type-arg]
    return {column["name"] for column in inspect(db.get_engine(url)).get_columns("outcomes")}


def test_checkins_migrate_up_down_and_up_again(empty_url: str) -> None:
    upgrade(empty_url, "0010")
    assert TABLE not in inspect(db.get_engine(empty_url)).get_table_names()
    assert "added_in" not in _columns(empty_url)
    upgrade(empty_url)
    assert TABLE in inspect(db.get_engine(empty_url)).get_table_names() and "added_in" in _columns(empty_url)
    assert schema_differences(empty_url, TABLE) == [] and schema_differences(empty_url, "added_in") == []
    command.downgrade(alembic_config(empty_url), "0010")
    assert TABLE not in inspect(db.get_engine(empty_url)).get_table_names()
    assert "added_in" not in _columns(empty_url)
    upgrade(empty_url)
    assert schema_differences(empty_url, TABLE) == []
    db.dispose(empty_url)
