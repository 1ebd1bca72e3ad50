"""The spool: flags kept on disk while the database is away, stored in order, never blocked.

Here `save` is a stand-in; the sender saves through `records.set_flag`, so a flag stored while an
alert of its kind is open becomes a follow-up (tests/alerts/test_sender.py checks that).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import List, Optional, Tuple

from bot import constants as c
from bot.alerts import spool

S = c.STAGE_OUTCOMES
Saved = List[Tuple[str, str, str, datetime, Optional[str]]]


def _saver(saved: Saved, fail_on: str = "", refuse: str = ""):  # type: ignore[no-untyped-def]
    def save(conversation_id: str, stage: str, flag: str, at: datetime, message_id: Optional[str]) -> None:
        if conversation_id == fail_on:
            raise ConnectionError("database away")
        if conversation_id == refuse:
            raise ValueError("not a flag")
        saved.append((conversation_id, stage, flag, at, message_id))

    return save


def test_spooled_flags_hold_ids_only_and_are_stored_in_order(tmp_path: Path) -> None:
    folder = str(tmp_path / "spool")
    first = spool.spool_flag(folder, "a", S, c.FLAG_URGENT_SAFETY)
    spool.spool_flag(folder, "b", S, c.FLAG_WANTS_HUMAN_CONTACT)
    assert set(json.loads(first.read_text())) == {"conversation_id", "stage", "flag", "at"}
    assert not list(Path(folder).glob("*.tmp"))
    saved: Saved = []
    assert spool.drain(folder, _saver(saved)) == 2
    assert [(s[0], s[2]) for s in saved] == [("a", c.FLAG_URGENT_SAFETY), ("b", c.FLAG_WANTS_HUMAN_CONTACT)]
    assert spool.pending(folder) == []


def test_the_message_that_raised_it_is_kept_and_older_files_still_read(tmp_path: Path) -> None:
    folder = tmp_path
    # A file spooled before the message id was kept.
    (folder / "00000000T000000-0.json").write_text(json.dumps(
        {"conversation_id": "old", "stage": S, "flag": c.FLAG_URGENT_SAFETY, "at": "2026-12-01T10:00:00"}))
    with_id = spool.spool_flag(str(folder), "new", S, c.FLAG_URGENT_SAFETY, message_id="msg-42")
    assert json.loads(with_id.read_text())["message_id"] == "msg-42"
    saved: Saved = []
    assert spool.drain(str(folder), _saver(saved)) == 2
    assert [(s[0], s[4]) for s in saved] == [("old", None), ("new", "msg-42")]


def test_database_still_away_keeps_the_file_and_the_order(tmp_path: Path) -> None:
    folder = str(tmp_path)
    spool.spool_flag(folder, "a", S, c.FLAG_URGENT_SAFETY)
    spool.spool_flag(folder, "b", S, c.FLAG_URGENT_SAFETY)
    saved: Saved = []
    assert spool.drain(folder, _saver(saved, fail_on="a")) == 0
    assert saved == [] and len(spool.pending(folder)) == 2
    assert spool.drain(folder, _saver(saved)) == 2


def test_a_bad_file_is_set_aside_and_does_not_block_the_rest(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "00000000T000000-0.json").write_text("{not json")
    (folder / "00000000T000001-1.json").write_text(json.dumps({"conversation_id": "x"}))  # keys missing
    spool.spool_flag(str(folder), "refused", S, "not_a_flag")
    spool.spool_flag(str(folder), "good", S, c.FLAG_URGENT_SAFETY)
    saved: Saved = []
    assert spool.drain(str(folder), _saver(saved, refuse="refused")) == 1
    assert [s[0] for s in saved] == ["good"]
    assert spool.pending(str(folder)) == []
    assert len(list(folder.glob("*.bad"))) == 3


def test_no_spool_folder_is_nothing_to_do(tmp_path: Path) -> None:
    assert spool.drain(str(tmp_path / "never-made"), _saver([])) == 0


def test_the_answer_given_with_the_flag_is_kept_and_stored_with_it(tmp_path: Path) -> None:
    """"Are you safe?" answered with danger while the database was away: the no is not lost."""
    folder = str(tmp_path / "spool")
    spool.spool_flag(folder, "a", S, c.FLAG_URGENT_SAFETY, "m-1", {c.FEELS_SAFE_NOW: c.NO})
    got: List[dict] = []  # type: ignore[type-arg]

    def save(cid: str, stage: str, flag: str, at: datetime, message_id: Optional[str] = None,
             answers: Optional[dict] = None) -> None:  # type: ignore[type-arg]
        got.append({"cid": cid, "flag": flag, "message_id": message_id, "answers": answers})

    assert spool.drain(folder, save) == 1
    assert got == [{"cid": "a", "flag": c.FLAG_URGENT_SAFETY, "message_id": "m-1",
                    "answers": {c.FEELS_SAFE_NOW: c.NO}}]
