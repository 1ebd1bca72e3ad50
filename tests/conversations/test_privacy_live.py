"""At rest, the person's words are only ciphertext: the embedded path (SQLite), over HTTP, real servers.

A whole enquiry (both stages) is played on the chat page with words no one
else uses. They are read back in the export (so they were stored), and then
looked for in the raw bytes of every file the servers wrote: both databases
and their write-ahead logs (before and after a checkpoint), every log file,
the alert spool and the web sessions. The enquiry reference, which is stored
plain, must be found there: the scan reads what was written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from tests.conversations.privacy_scan import files_holding, files_under, play_enquiry
from tests.live import Live

pytestmark = pytest.mark.e2e


def _sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///"):])


def test_the_persons_words_are_nowhere_in_plain_on_disk(live: Live) -> None:
    settings = live.services.settings
    played = play_enquiry(live.msp, live.export, live.web_url, live.url, live.token)

    # Stored, and readable by those allowed to read them.
    records = live.export(played.ref)
    assert {r["stage"] for r in records} == {"outcomes", "review"}
    kept = " ".join(o["own_words"] for r in records for o in r["outcomes"]) + " ".join(
        str((r.get("feedback") or {}).get("comments") or r.get("comments") or "") for r in records)
    assert played.tag in kept, "the wishes are kept in the person's words"
    transcript = live.msp("transcript", played.conversation_ids[0]).stdout
    assert played.tag in transcript

    records_db, tracker_db = _sqlite_path(settings.database_url), _sqlite_path(settings.tracker_store_url)
    workdir = records_db.parent
    roots = [workdir] + [p for p in (PROJECT_ROOT / "var",) if p.exists()]
    written = list(files_under(*roots))
    assert {records_db, tracker_db} <= set(written) and any(p.suffix == ".log" for p in written)
    assert files_holding(played.ref, written), "the scan finds what is stored plain (the enquiry reference)"
    assert files_holding(played.tag, written) == {}, "the person's words are on disk in plain"

    # Once the write-ahead logs are folded into the databases, the same.
    for path in (records_db, tracker_db):
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    written = list(files_under(*roots))
    assert files_holding(played.ref, [records_db]), "the enquiry is in the records file itself now"
    assert files_holding(played.tag, written) == {}
