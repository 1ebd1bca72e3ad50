"""Reading a conversation back from the tracker store: how each message came, when, and by which id."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot import constants as c
from bot.cli import main as cli
from bot.store import db
from bot.store.transcripts import Opening, answer_turn, read_transcript
from tests.privacy_data import make_tracker
from tests.tracker_events import add_events, asked, replied, said

T = datetime(2026, 7, 1, 14, 15, 0)  # naive UTC, as the store keeps times


def _at(seconds: int) -> datetime:
    return T.replace(second=seconds)


@pytest.fixture
def tracker(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(url)
    add_events(url, "conv-1", [
        said('/start{"stage": "outcomes", "enquiry_ref": "NR-1", "role": "person"}', _at(0), "m-open",
             command=True),
        asked(c.FEELS_SAFE_NOW, _at(1)),
        replied("Do you feel safe right now?", _at(1), ["Yes", "No"]),
        said("Yes", _at(2), "m-yes", metadata={c.PRESS_KEY: "/affirm"}),
        asked(c.DESIRED_OUTCOMES, _at(3)),
        said("/danger", _at(4), "m-danger", command=True),
        said("/ask_human", _at(5), "m-human", command=True),
        said("/danger", _at(6), "m-typed"),  # typed by the person: words, not a command
        said("/start{}", _at(7), "m-again", command=True),
        said('/start{"stage": "middle", "role": 7}', _at(8), "m-odd", command=True),
    ])
    return url


def test_each_message_says_how_it_came(tracker: str) -> None:
    turns = read_transcript(tracker, "conv-1")
    assert [t.speaker for t in turns] == ["person", "assistant"] + ["person"] * 6
    opened, question, yes, danger, human, typed, again, odd = turns
    assert opened.opened and opened.opening == Opening(c.STAGE_OUTCOMES, c.ROLE_PERSON, "NR-1", again=False)
    assert question.buttons == ["Yes", "No"] and question.at == _at(1)
    assert (yes.text, yes.pressed, yes.question, yes.message_id) == ("Yes", True, c.FEELS_SAFE_NOW, "m-yes")
    # The two help buttons arrive as trusted commands: shown by their titles, never as the command.
    assert (danger.text, danger.pressed, danger.opened) == (c.ALWAYS_BUTTONS["/danger"], True, False)
    assert (human.text, human.pressed) == (c.ALWAYS_BUTTONS["/ask_human"], True)
    # The same text typed by a person is their words.
    assert (typed.text, typed.pressed, typed.opened) == ("/danger", False, False)
    assert again.opening == Opening(None, None, None, again=True)
    assert odd.opening == Opening(None, None, None, again=True), "odd values are left out, never guessed"


def test_times_are_datetimes_in_utc(tracker: str) -> None:
    turns = read_transcript(tracker, "conv-1")
    assert all(isinstance(t.at, datetime) and t.at.tzinfo is None for t in turns)
    assert turns[0].at == T and turns[0].iso == "2026-07-01T14:15:00Z"


def test_answer_turn_finds_the_answer_to_a_question(tracker: str) -> None:
    turns = read_transcript(tracker, "conv-1")
    found = answer_turn(turns, c.FEELS_SAFE_NOW)
    assert found is not None and found.message_id == "m-yes"
    assert answer_turn(turns, c.SAFETY_CHECK) is None
    first = answer_turn(turns, c.DESIRED_OUTCOMES, last=False)
    last = answer_turn(turns, c.DESIRED_OUTCOMES)
    assert first is not None and first.message_id == "m-danger"
    assert last is not None and last.message_id == "m-typed", "an opening answers nothing"


def test_one_engine_per_tracker_store(tracker: str, tmp_path: Path) -> None:
    db.dispose(tracker)
    read_transcript(tracker, "conv-1")
    engine = db.get_engine(tracker)
    read_transcript(tracker, "nobody")
    assert db.get_engine(tracker) is engine, "two reads share one engine"
    assert read_transcript(f"sqlite:///{tmp_path / 'no-tracker.db'}", "conv-1") == []


def test_reconfiguring_disposes_the_engine_it_leaves(tmp_path: Path) -> None:
    before = db.configured_url()
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    try:
        db.configure(first)
        engine = db.get_engine(first)
        db.configure(second)
        assert db.get_engine(first) is not engine, "the engine left behind was disposed and forgotten"
        db.dispose(first)
    finally:
        if before:
            db.configure(before)
        db.dispose(second)


def test_msp_transcript_prints_a_press_by_its_title(record_db: str, tracker: str,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", tracker)
    assert cli.main(["transcript", "conv-1"]) == 0
    out = capsys.readouterr().out
    assert "2026-07-01T14:15:02Z  Person   : (pressed) Yes  [feels_safe_now]" in out
    assert f"Person   : (pressed) {c.ALWAYS_BUTTONS['/danger']}" in out
    assert f"Person   : (pressed) {c.ALWAYS_BUTTONS['/ask_human']}" in out
    assert "Person   : /danger  [desired_outcomes]" in out  # typed: the person's words, as typed
    assert out.count("/danger") == 1
