"""At rest, the person's words are only ciphertext: the production path (PostgreSQL, two instances, Redis).

A whole enquiry (both stages) is played on the chat page with words no one
else uses, then looked for in every row of every table of both databases,
read as raw text (nothing decrypted); in PostgreSQL's own files for those
tables and in its write-ahead log, after a checkpoint; and in every log the
servers wrote. The enquiry reference, stored plain, must be found by the same
scans: they read what was written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List

import pytest
import sqlalchemy as sa

from tests.conversations.privacy_scan import files_holding, files_under, play_enquiry
from tests.production.conftest import Stack

pytestmark = [pytest.mark.production, pytest.mark.e2e]


def _rows_as_text(url: str) -> Dict[str, str]:
    """Every table, every row, as PostgreSQL prints it (no decryption)."""
    engine = sa.create_engine(url, future=True)
    found = {}
    with engine.connect() as conn:
        tables = conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        for table in tables:
            rows = conn.execute(sa.text(f'SELECT t::text FROM "{table}" AS t')).scalars().all()
            found[table] = "\n".join(rows)
    engine.dispose()
    return found


def _relation_files(url: str) -> List[Path]:
    """PostgreSQL's files for this database's tables, their TOAST and indexes, after a checkpoint."""
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        conn.execute(sa.text("CHECKPOINT"))
        data_dir = Path(conn.execute(sa.text("SHOW data_directory")).scalar_one())
        relative = conn.execute(sa.text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't', 'i') "
            "AND pg_relation_filepath(c.oid) IS NOT NULL")).scalars().all()
    engine.dispose()
    files: List[Path] = []
    for name in relative:
        base = data_dir / name
        files += [p for p in base.parent.glob(base.name + "*") if p.is_file()]
    return files


def _readable_data_directory(url: str) -> Path:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        data_dir = Path(conn.execute(sa.text("SHOW data_directory")).scalar_one())
    engine.dispose()
    try:
        next(iter((data_dir / "base").iterdir()))
    except (OSError, StopIteration):
        pytest.skip(f"PostgreSQL's files ({data_dir}) are not readable by this user: rows and logs were "
                    "scanned, its files were not")
    return data_dir


def test_the_persons_words_are_nowhere_in_plain_in_postgresql_or_the_logs(healthy: Stack) -> None:
    began = time.time()
    played = play_enquiry(healthy.msp, healthy.export, healthy.web_url, healthy.url, healthy.token)
    records = healthy.export(played.ref)
    assert {r["stage"] for r in records} == {"outcomes", "review"}
    assert played.tag in " ".join(o["own_words"] for r in records for o in r["outcomes"])
    assert played.tag in healthy.msp("transcript", played.conversation_ids[0]).stdout

    # Every row of both databases, as stored.
    records_rows = _rows_as_text(healthy.settings.database_url)
    tracker_rows = _rows_as_text(healthy.settings.tracker_store_url)
    assert played.ref in records_rows["conversations"], "the scan reads the rows (the reference is plain)"
    assert any(cid in tracker_rows["events"] for cid in played.conversation_ids)
    assert [t for t, text in {**records_rows, **tracker_rows}.items() if played.tag in text] == []

    # Every log the servers wrote.
    logs = list(files_under(healthy.workdir))
    assert any(p.suffix == ".log" for p in logs)
    assert files_holding(played.tag, logs) == {}

    # PostgreSQL's own files: the tables (after a checkpoint) and the write-ahead log written since we began.
    data_dir = _readable_data_directory(healthy.settings.database_url)
    tables = (_relation_files(healthy.settings.database_url)
              + _relation_files(healthy.settings.tracker_store_url))
    wal = [p for p in (data_dir / "pg_wal").glob("0*") if p.is_file() and p.stat().st_mtime >= began - 5]
    assert wal, "some write-ahead log was written during the conversation"
    assert files_holding(played.ref, tables), "the scan reads PostgreSQL's files (the reference is plain)"
    assert files_holding(played.ref, wal), "and its write-ahead log"
    assert files_holding(played.tag, tables + wal) == {}, "the person's words are in PostgreSQL's files"
