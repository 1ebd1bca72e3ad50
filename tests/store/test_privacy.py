"""Erasure and retention, on SQLite and on PostgreSQL, with a tracker store shaped like Rasa's (no Rasa).

After an erasure nothing of the enquiry is left in any table of either
database (every table is found by reflection, every row read as text with
encrypted values opened), except the audit log's references; other
enquiries are untouched. Retention removes the words of conversations past
the period and leaves the report's counts exactly as they were.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from bot import constants as c
from bot.report.compute import compute_report_between
from bot.store import audit, privacy, records, retention
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation
from bot.store.transcripts import read_transcript
from tests.privacy_data import (
    Enquiry,
    add_turns,
    event_senders,
    make_enquiry,
    make_tracker,
    mentions,
    scan,
    set_last_activity,
)
from tests.store.conftest import Stores


def _audit_entries(action: str) -> List[audit.AuditEntry]:
    return audit.list_events(per_page=1000, action=action).items


def _record_counts(ref: str) -> Dict[str, Any]:
    return {"records": records.export_records(enquiry_ref=ref)}


# --- erasure ---------------------------------------------------------------------------------------


def test_erasing_an_enquiry_leaves_nothing_of_it_in_any_table(stores: Stores) -> None:
    gone = make_enquiry(stores.tracker_url, "gone")
    kept = make_enquiry(stores.tracker_url, "kept")
    kept_before = records.export_records(enquiry_ref=kept.ref)
    kept_events = {k: v for k, v in event_senders(stores.tracker_url).items()
                   if k in (kept.outcomes_id, kept.review_id)}
    needles = [gone.ref, gone.outcomes_id, gone.review_id, gone.invite_id, *gone.words]
    assert mentions(scan(stores.records_url), needles), "the test data is really there"
    assert mentions(scan(stores.tracker_url), needles)

    plan = privacy.plan_erasure(enquiry_ref=gone.ref, tracker_store_url=stores.tracker_url)
    assert plan.counts() == {"conversations": 2, "outcomes": 4, "corrections": 1, "alerts": 1,
                             "alert_attempts": 1, "invitations": 1, "tracker_events": 7}
    done = privacy.erase(enquiry_ref=gone.ref, actor="mo@example.org", address="192.0.2.9",
                         tracker_store_url=stores.tracker_url)
    assert done.counts() == plan.counts()
    assert set(done.conversation_ids) == {gone.outcomes_id, gone.review_id}

    # Nothing of it anywhere, but the audit log's references (never the words).
    left = mentions(scan(stores.records_url), needles)
    audit_rows = left.pop("audit_events", [])
    assert left == {}, left
    assert not mentions({"audit_events": audit_rows}, list(gone.words))
    assert mentions(scan(stores.tracker_url), needles) == {}

    # The other enquiry is untouched, every part of it.
    assert records.export_records(enquiry_ref=kept.ref) == kept_before
    assert {k: v for k, v in event_senders(stores.tracker_url).items()
            if k in (kept.outcomes_id, kept.review_id)} == kept_events
    assert mentions(scan(stores.records_url), [kept.invite_id])["invitations"]
    assert read_transcript(stores.tracker_url, kept.outcomes_id)

    # One audit entry: who, from where, the reference, the ids and counts; no content.
    (entry,) = _audit_entries("erase")
    assert entry.actor == "mo@example.org" and entry.address == "192.0.2.9"
    assert gone.ref in (entry.detail or "") and gone.review_id in (entry.detail or "")
    assert "conversations=2" in (entry.detail or "") and "tracker_events=7" in (entry.detail or "")
    assert not any(word in (entry.detail or "") for word in gone.words)


def test_erasing_one_conversation_leaves_the_rest_of_the_enquiry(stores: Stores) -> None:
    enquiry = make_enquiry(stores.tracker_url, "one")
    done = privacy.erase(conversation_id=enquiry.review_id, actor="mo@example.org",
                         tracker_store_url=stores.tracker_url)
    assert done.counts() == {"conversations": 1, "outcomes": 2, "corrections": 0, "alerts": 0,
                             "alert_attempts": 0, "invitations": 0, "tracker_events": 3}
    left = records.export_records(enquiry_ref=enquiry.ref)
    assert [r["conversation_id"] for r in left] == [enquiry.outcomes_id]
    assert enquiry.review_id not in event_senders(stores.tracker_url)
    assert enquiry.outcomes_id in event_senders(stores.tracker_url)
    left_rows = mentions(scan(stores.records_url), [enquiry.review_id, enquiry.words[2]])
    assert list(left_rows) == ["audit_events"] and enquiry.words[2] not in str(left_rows)

    # The invitation's conversation takes its invitation with it.
    done = privacy.erase(conversation_id=enquiry.outcomes_id, actor="mo@example.org",
                         tracker_store_url=stores.tracker_url)
    assert done.invitations == 1 and done.alerts == 1 and done.corrections == 1
    assert mentions(scan(stores.records_url), [enquiry.ref, *enquiry.words]).keys() <= {"audit_events"}


def test_erase_refuses_neither_or_both_and_changes_nothing(stores: Stores) -> None:
    enquiry = make_enquiry(stores.tracker_url, "refuse")
    for kwargs in ({}, {"enquiry_ref": enquiry.ref, "conversation_id": enquiry.review_id},
                   {"enquiry_ref": "  ", "conversation_id": ""}):
        with pytest.raises(privacy.ErasureRefused):
            privacy.erase(actor="mo@example.org", tracker_store_url=stores.tracker_url, **kwargs)
        with pytest.raises(privacy.ErasureRefused):
            privacy.plan_erasure(tracker_store_url=stores.tracker_url, **kwargs)
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2
    assert not _audit_entries("erase")


def test_an_unknown_reference_finds_nothing(stores: Stores) -> None:
    plan = privacy.plan_erasure(enquiry_ref="NO-SUCH-REF", tracker_store_url=stores.tracker_url)
    assert not plan.found and plan.conversation_ids == ()


def test_a_conversation_shared_with_another_enquiry_is_refused_by_reference(stores: Stores) -> None:
    enquiry = make_enquiry(stores.tracker_url, "shared")
    # The same sender id at the review stage, but for another enquiry: its chat cannot be split.
    records.start_conversation(enquiry.outcomes_id, c.STAGE_REVIEW, "OTHER-" + uuid.uuid4().hex[:6])
    with pytest.raises(privacy.ErasureRefused, match="one by one"):
        privacy.erase(enquiry_ref=enquiry.ref, actor="mo@example.org", tracker_store_url=stores.tracker_url)
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2


def test_erasure_tolerates_a_tracker_store_without_an_events_table(record_db: str, tmp_path: Any) -> None:
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(tracker)
    enquiry = make_enquiry(tracker, "notable")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    done = privacy.erase(enquiry_ref=enquiry.ref, actor="mo@example.org", tracker_store_url=empty)
    assert done.conversations == 2 and done.tracker_events == 0


# --- retention -------------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, 0)
OLD = datetime(2024, 1, 15, 10, 0)  # before the cut-off (2024-06-01 with 24 months)
RECENT = datetime(2026, 5, 1, 10, 0)


def _old_and_recent(stores: Stores) -> tuple[Enquiry, Enquiry]:
    old = make_enquiry(stores.tracker_url, "old", at=OLD)
    recent = make_enquiry(stores.tracker_url, "recent", at=RECENT)
    set_last_activity([old.outcomes_id, old.review_id], OLD)
    set_last_activity([recent.outcomes_id, recent.review_id], RECENT)
    return old, recent


def test_retention_removes_old_words_and_keeps_the_report_identical(stores: Stores) -> None:
    old, recent = _old_and_recent(stores)
    add_turns(stores.tracker_url, "tracker-only-old", [("person", "old chat with no record")], at=OLD)
    add_turns(stores.tracker_url, "tracker-only-new", [("person", "new chat with no record")], at=RECENT)
    periods = [(datetime(2024, 1, 1), datetime(2024, 2, 1)), (None, None), (datetime(2026, 1, 1), None)]
    before = [compute_report_between(since, until) for since, until in periods]
    assert before[0].records == 2
    old_records = records.export_records(enquiry_ref=old.ref)

    due = retention.retention_due(NOW, months=24)
    assert due.cutoff == datetime(2024, 6, 1, 12, 0)
    assert (due.conversations, due.enquiries, due.already_removed) == (2, 1, 0)

    result = retention.apply_retention(NOW, months=24, actor="ops", tracker_store_url=stores.tracker_url,
                                     batch=1)
    assert (result.conversations, result.outcomes, result.comments, result.batches) == (2, 4, 1, 2)
    assert result.tracker_events == 7 + 2, "the old chats, and the old chat that never made a record"

    # The words are gone, from the records and from the tracker store.
    assert mentions(scan(stores.records_url), list(old.words)) == {}
    assert mentions(scan(stores.tracker_url), [*old.words, "old chat with no record"]) == {}
    senders = event_senders(stores.tracker_url)
    assert old.outcomes_id not in senders and old.review_id not in senders
    assert {recent.outcomes_id, recent.review_id, "tracker-only-new"} <= set(senders)

    # Everything else stays: codes, answers, statuses, flags, dates, alerts; the report is the same.
    after_records = records.export_records(enquiry_ref=old.ref)
    for was, now in zip(old_records, after_records, strict=True):
        assert [o["own_words"] for o in now["outcomes"]] == ["", ""]
        assert now["feedback"]["comments"] is None
        contact = was["safe_contact"] and {**was["safe_contact"], "when": None, "number": None,
                                           "if_call_missed": None}
        blank = {**was, "outcomes": [{**o, "own_words": ""} for o in was["outcomes"]],
                 "feedback": {**was["feedback"], "comments": None}, "safe_contact": contact}
        assert now == blank
    assert [compute_report_between(since, until) for since, until in periods] == before
    assert records.export_records(enquiry_ref=recent.ref)[0]["outcomes"][0]["own_words"] in recent.words
    with session_scope() as session:
        stamped = dict(session.execute(select(Conversation.conversation_id, Conversation.words_removed_at)).all())
        assert stamped[old.outcomes_id] is not None and stamped[recent.outcomes_id] is None
        assert session.execute(select(Alert.id).where(Alert.conversation_id == old.outcomes_id)).scalar()

    # Idempotent: a second run finds nothing more to do. One audit entry per run, counts only.
    again = retention.apply_retention(NOW, months=24, actor="ops", tracker_store_url=stores.tracker_url)
    assert (again.conversations, again.outcomes, again.tracker_events) == (0, 0, 0)
    assert retention.retention_due(NOW, months=24).already_removed == 2
    entries = _audit_entries("retention")
    assert len(entries) == 2 and "conversations=2" in (entries[1].detail or "")
    assert not mentions({"audit": [e.detail or "" for e in entries]}, list(old.words))


def test_retention_keeps_a_chat_whose_sender_has_a_record_still_within_the_period(stores: Stores) -> None:
    old, _ = _old_and_recent(stores)
    # The same conversation id, another stage, active recently: its chat stays until that one is due too.
    records.start_conversation(old.review_id, c.STAGE_OUTCOMES, old.ref)
    set_last_activity([old.outcomes_id], OLD)
    result = retention.apply_retention(NOW, months=24, actor="ops", tracker_store_url=stores.tracker_url)
    assert result.conversations == 2
    senders = event_senders(stores.tracker_url)
    assert old.outcomes_id not in senders and old.review_id in senders


def test_months_before_counts_calendar_months() -> None:
    assert retention.months_before(datetime(2026, 3, 31, 8, 0), 1) == datetime(2026, 2, 28, 8, 0)
    assert retention.months_before(datetime(2026, 1, 15), 24) == datetime(2024, 1, 15)
    assert retention.months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)
    with pytest.raises(ValueError):
        retention.retention_cutoff(NOW, months=0)
