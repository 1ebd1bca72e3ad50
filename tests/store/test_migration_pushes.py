"""Migration 0009 (record pushes) on SQLite and on PostgreSQL: up, down, up again, and the same as the model."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from bot.store import db
from bot.store.migrate import alembic_config, upgrade
from tests.store.conftest import schema_differences

TABLE = "record_pushes"


def _differences(url: str) -> list:  # type: ignore[type-arg]
    return schema_differences(url, TABLE)


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
