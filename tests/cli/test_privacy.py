"""`msp erase`, `msp retention` and `msp export --with-transcript`, without the servers."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any, List

import pytest

from bot.cli import main as cli
from bot.report.compute import compute_report_between
from bot.store import audit, records
from tests.privacy_data import event_senders, make_enquiry, make_tracker, set_last_activity


@pytest.fixture
def tracker(record_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(url)
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    monkeypatch.setenv("RETENTION_MONTHS", "24")
    return url


def _typing(monkeypatch: pytest.MonkeyPatch, answer: str) -> List[str]:
    """What `input` is asked; it answers `answer`."""
    prompts: List[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return answer

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


def _actions() -> List[str]:
    return [e.action for e in audit.list_events(per_page=500).items]


# --- erase ---------------------------------------------------------------------------------------


def test_erase_declines_unless_the_reference_is_typed_back(
    tracker: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    enquiry = make_enquiry(tracker, "cli")
    prompts = _typing(monkeypatch, "NR-SOMETHING-ELSE")
    assert cli.main(["erase", "--enquiry", enquiry.ref]) == 1
    captured = capsys.readouterr()
    assert "2 conversation records" in captured.out and "4 wishes" in captured.out
    assert "7 transcript events" in captured.out
    assert prompts and enquiry.ref in prompts[0]
    assert "Nothing was removed" in captured.err
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2 and "erase" not in _actions()

    _typing(monkeypatch, "")  # just Enter
    assert cli.main(["erase", "--enquiry", enquiry.ref]) == 1
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2

    def no_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", no_input)  # stdin closed: a decline, never a yes
    assert cli.main(["erase", "--enquiry", enquiry.ref]) == 1
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2

    _typing(monkeypatch, f"  {enquiry.ref} ")
    capsys.readouterr()
    assert cli.main(["erase", "--enquiry", enquiry.ref]) == 0
    out = capsys.readouterr().out
    assert f"Erased enquiry {enquiry.ref}" in out and "2 conversation records" in out
    assert records.export_records(enquiry_ref=enquiry.ref) == []
    assert enquiry.outcomes_id not in event_senders(tracker)
    (entry,) = audit.list_events(action="erase").items
    assert enquiry.ref in (entry.detail or "") and not any(w in (entry.detail or "") for w in enquiry.words)


def test_erase_with_yes_does_not_ask(tracker: str, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    enquiry = make_enquiry(tracker, "yes")

    def must_not_ask(prompt: str = "") -> str:
        raise AssertionError("asked although --yes was given")

    monkeypatch.setattr(builtins, "input", must_not_ask)
    assert cli.main(["erase", "--conversation", enquiry.review_id, "--yes"]) == 0
    assert "Erased conversation" in capsys.readouterr().out
    assert [r["stage"] for r in records.export_records(enquiry_ref=enquiry.ref)] == ["outcomes"]


def test_erase_needs_exactly_one_target_and_says_when_nothing_is_stored(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["erase"], ["erase", "--enquiry", "A", "--conversation", "B"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(argv)
        assert stopped.value.code == 2
    assert cli.main(["erase", "--enquiry", "NO-SUCH-REF", "--yes"]) == 1
    assert "Nothing is stored for enquiry NO-SUCH-REF" in capsys.readouterr().err
    assert "erase" not in _actions()


# --- retention -----------------------------------------------------------------------------------


def test_retention_shows_what_is_due_and_apply_removes_the_words(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    old = make_enquiry(tracker, "old", at=datetime(2024, 1, 15))
    set_last_activity([old.outcomes_id, old.review_id], datetime(2024, 1, 15))
    recent = make_enquiry(tracker, "recent")
    period = (datetime(2024, 1, 1), datetime(2024, 2, 1))
    before = compute_report_between(*period)

    assert cli.main(["retention", "--now", "2026-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Cut-off: 2024-06-01" in out and "Due: 2 conversation(s) in 1 enquiry(ies)" in out
    assert "retention" not in _actions(), "showing what is due changes nothing"
    assert records.export_records(enquiry_ref=old.ref)[0]["outcomes"][0]["own_words"] in old.words

    assert cli.main(["retention", "--now", "2026-06-01", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "Removed the words of 2 conversation(s): 4 wish(es)' own words, 1 comment(s)" in out
    assert all(o["own_words"] == "" for r in records.export_records(enquiry_ref=old.ref) for o in r["outcomes"])
    assert records.export_records(enquiry_ref=recent.ref)[0]["outcomes"][0]["own_words"] in recent.words
    assert compute_report_between(*period) == before
    assert old.outcomes_id not in event_senders(tracker) and recent.outcomes_id in event_senders(tracker)

    assert cli.main(["retention", "--now", "2026-06-01", "--apply"]) == 0
    assert "Removed the words of 0 conversation(s)" in capsys.readouterr().out
    assert _actions().count("retention") == 2
    with pytest.raises(SystemExit):
        cli.main(["retention", "--now", "yesterday"])


# --- subject access ------------------------------------------------------------------------------


def test_export_with_transcript_adds_each_conversations_turns(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    enquiry = make_enquiry(tracker, "sar")
    other = make_enquiry(tracker, "other")
    assert cli.main(["export", "--enquiry", enquiry.ref, "--with-transcript"]) == 0
    data: List[Any] = json.loads(capsys.readouterr().out)
    assert {r["conversation_id"] for r in data} == {enquiry.outcomes_id, enquiry.review_id}
    by_id = {r["conversation_id"]: r for r in data}
    turns = by_id[enquiry.outcomes_id]["transcript"]
    assert [t["speaker"] for t in turns] == ["assistant", "person", "person"]
    assert turns[1]["text"] == enquiry.words[0] and turns[1]["question"] == "desired_outcomes"
    assert turns[0]["buttons"] == ["Yes", "No"] and turns[0]["at"].endswith("Z")
    assert set(turns[0]) == {"at", "speaker", "text", "buttons", "question"}
    assert by_id[enquiry.review_id]["transcript"][-1]["text"] == enquiry.words[2]
    assert other.words[0] not in json.dumps(data)
    # The record itself is the contract's, unchanged but for the new key.
    plain = {r["conversation_id"]: r for r in records.export_records(enquiry_ref=enquiry.ref)}
    assert {k: v for k, v in by_id[enquiry.review_id].items() if k != "transcript"} == plain[enquiry.review_id]
    (entry,) = audit.list_events(action="export").items
    assert entry.detail == f"format=json enquiry={enquiry.ref} records=2 with_transcript=yes"


def test_with_transcript_is_refused_without_an_enquiry_or_as_csv(
    tracker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_enquiry(tracker, "refuse")
    assert cli.main(["export", "--with-transcript"]) == 2
    assert cli.main(["export", "--with-transcript", "--enquiry", "X", "--format", "csv"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--enquiry REF" in captured.err
    assert "export" not in _actions()
