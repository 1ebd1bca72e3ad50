"""Record pushes in the store: queued with the change that made them, one version at a time, never given up.

Every test runs on SQLite and on PostgreSQL. No model, no sender process: the
sender's side is called directly (`push_outbox`).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import List

import pytest
from sqlalchemy import select, update

from bot import constants as c
from bot.store import alerts, corrections, push_outbox, pushes, records
from bot.store.audit import list_events
from bot.store.db import session_scope
from bot.store.models import Conversation, RecordPush, utcnow

S = c.STAGE_OUTCOMES
REF = "NR-2026-0042"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _finished(cid: str = "conv-1", ref: str = REF) -> str:
    records.start_conversation(cid, S, ref, c.ROLE_PERSON)
    records.add_outcomes(cid, S, [(c.FEEL_SAFER, "I want it to stop"), (c.MAKE_FRIENDS, "more friends")])
    records.set_status(cid, S, c.STATUS_COMPLETED)
    return cid


def _states(cid: str = "conv-1") -> List[tuple]:  # type: ignore[type-arg]
    return [(p.version, p.reason, p.state) for p in sorted(pushes.list_pushes(), key=lambda p: p.version)
            if p.conversation_id == cid]


def test_finishing_a_stage_queues_version_one_once(store: str) -> None:
    cid = _finished()
    assert _states(cid) == [(1, c.PUSH_REASON_COMPLETED, c.PUSH_QUEUED)]
    records.set_status(cid, S, c.STATUS_COMPLETED)  # a retried action: nothing more
    assert _states(cid) == [(1, c.PUSH_REASON_COMPLETED, c.PUSH_QUEUED)]


def test_pausing_declining_or_no_reference_queue_nothing(store: str) -> None:
    records.start_conversation("paused", S, REF)
    records.set_status("paused", S, c.STATUS_PAUSED)
    records.start_conversation("declined", S, REF)
    records.set_status("declined", S, c.STATUS_DECLINED)
    records.start_conversation("anon", S)  # no enquiry reference: a case system cannot file it
    records.set_status("anon", S, c.STATUS_COMPLETED)
    assert pushes.list_pushes() == []


def test_a_correction_queues_the_next_version_and_supersedes_the_waiting_one(store: str) -> None:
    cid = _finished()
    assert corrections.recode(cid, S, 0, c.ABUSER_STAYS_AWAY, "worker@example.org")
    assert _states(cid) == [(1, c.PUSH_REASON_COMPLETED, c.PUSH_SUPERSEDED),
                            (2, c.PUSH_REASON_CORRECTED, c.PUSH_QUEUED)]
    assert corrections.set_aside(cid, S, 1, "worker@example.org")
    assert _states(cid)[-1] == (3, c.PUSH_REASON_CORRECTED, c.PUSH_QUEUED)
    assert [p.state for p in pushes.list_pushes()].count(c.PUSH_QUEUED) == 1
    # No change, no version.
    assert not corrections.recode(cid, S, 0, c.ABUSER_STAYS_AWAY, "worker@example.org")
    assert len(_states(cid)) == 3


def test_a_correction_of_a_record_still_in_progress_waits_for_its_end(store: str) -> None:
    records.start_conversation("going", S, REF)
    records.add_outcomes("going", S, [(c.FEEL_SAFER, "stop it")])
    corrections.recode("going", S, 0, c.PROTECT_MYSELF, "worker@example.org")
    assert pushes.list_pushes() == []
    records.set_status("going", S, c.STATUS_COMPLETED)
    assert _states("going") == [(1, c.PUSH_REASON_COMPLETED, c.PUSH_QUEUED)]


def test_a_correction_that_fails_queues_nothing(store: str) -> None:
    cid = _finished()
    with pytest.raises(ValueError):
        corrections.recode(cid, S, 9, c.PROTECT_MYSELF, "worker@example.org")
    assert len(_states(cid)) == 1


def test_queue_push_stands_or_falls_with_the_callers_transaction(store: str) -> None:
    """A check-in stage calls queue_push inside its own unit of work: a rollback takes the push too."""
    cid = _finished()
    with pytest.raises(RuntimeError):
        with session_scope() as session:
            row = session.execute(select(Conversation).where(Conversation.conversation_id == cid)).scalar_one()
            assert pushes.queue_push(session, row, c.PUSH_REASON_CHECKIN) == 2
            raise RuntimeError("the check-in's write failed")
    assert len(_states(cid)) == 1
    with session_scope() as session:
        row = session.execute(select(Conversation).where(Conversation.conversation_id == cid)).scalar_one()
        assert pushes.queue_push(session, row, c.PUSH_REASON_CHECKIN) == 2
    assert _states(cid)[-1] == (2, c.PUSH_REASON_CHECKIN, c.PUSH_QUEUED)
    with pytest.raises(ValueError):
        with session_scope() as session:
            pushes.queue_push(session, row, "because")


def test_versions_stay_distinct_when_changes_come_at_once(store: str) -> None:
    """Eight corrections at once, from threads: eight new versions, 2..9, and one left queued."""
    cid = _finished()
    records.add_outcomes(cid, S, [(code, code) for code in c.OUTCOME_CODES[2:10]])
    errors: List[BaseException] = []

    def correct(index: int) -> None:
        try:
            corrections.recode(cid, S, 2 + index, c.SOMETHING_ELSE, f"worker{index}@example.org")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=correct, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [v for v, _, _ in _states(cid)]
    assert versions == list(range(1, 10))
    assert [s for _, _, s in _states(cid)].count(c.PUSH_QUEUED) == 1
    assert _states(cid)[-1][2] == c.PUSH_QUEUED


def test_a_failed_try_backs_off_capped_and_is_never_given_up(store: str) -> None:
    cid = _finished()
    (push,) = push_outbox.claim_due("w1")
    assert push_outbox.claim_due("w2") == []  # held by w1's claim
    assert push_outbox.record_try(push.id, "HTTP 503", claim=push.claim) == c.PUSH_QUEUED
    assert push_outbox.claim_due("w1") == []  # not due yet: 1 s back-off
    # A week of failures later, it is still queued, tried at most five minutes apart.
    with session_scope() as session:
        session.execute(update(RecordPush).values(queued_at=utcnow() - timedelta(days=7), attempts=40,
                                                  next_attempt_at=utcnow()))
    (again,) = push_outbox.claim_due("w1")
    before = utcnow()
    assert push_outbox.record_try(again.id, "ConnectionError", claim=again.claim) == c.PUSH_QUEUED
    (row,) = pushes.list_pushes()
    assert row.failing and row.attempts == 41 and row.last_error == "ConnectionError"
    assert row.next_attempt_at - before <= timedelta(seconds=push_outbox.MAX_DELAY_S + 1)
    with session_scope() as session:
        session.execute(update(RecordPush).values(next_attempt_at=utcnow()))
    (last,) = push_outbox.claim_due("w1")
    assert push_outbox.record_try(last.id, None, claim=last.claim) == c.PUSH_SENT
    (row,) = pushes.list_pushes()
    assert row.state == c.PUSH_SENT and row.sent_at is not None and not row.failing
    assert pushes.waiting() == pushes.Waiting(0, 0, None)
    assert cid


def test_the_record_to_send_is_read_when_it_is_sent(store: str) -> None:
    cid = _finished()
    (push,) = push_outbox.claim_due("w1")
    records.save_answer(cid, S, c.FEELS_SAFE_NOW, c.YES)  # changed after it was queued
    found = push_outbox.record_to_send(push.id)
    assert found is not None
    record, version = found
    assert version == 1 and record["answers"][c.FEELS_SAFE_NOW] == c.YES
    assert record == records.get_record(cid, S)
    corrections.recode(cid, S, 0, c.PROTECT_MYSELF, "worker@example.org")
    assert push_outbox.record_to_send(push.id) is None  # superseded: only the newest version goes


def test_a_superseded_or_stopped_push_delivered_anyway_is_recorded_as_sent(store: str) -> None:
    cid = _finished()
    (push,) = push_outbox.claim_due("w1")
    corrections.recode(cid, S, 0, c.PROTECT_MYSELF, "worker@example.org")  # v1 superseded in flight
    assert push_outbox.record_try(push.id, None, claim=push.claim) == c.PUSH_SENT
    (v2,) = push_outbox.claim_due("w1")
    assert v2.version == 2
    assert pushes.stop(v2.id, "worker@example.org")
    assert push_outbox.record_try(v2.id, "HTTP 500", claim=v2.claim) == c.PUSH_STOPPED


def test_a_practitioner_stops_a_push_and_it_is_audited(store: str) -> None:
    _finished()
    (push,) = pushes.list_pushes()
    assert pushes.stop(push.id, "worker@example.org", address="192.0.2.4")
    assert not pushes.stop(push.id, "worker@example.org")  # already stopped
    assert not pushes.stop(9999, "worker@example.org")
    with pytest.raises(ValueError):
        pushes.stop(push.id, "")
    (row,) = pushes.list_pushes()
    assert row.state == c.PUSH_STOPPED and row.stopped_by == "worker@example.org" and row.closed_at
    assert push_outbox.claim_due("w1") == []
    (entry,) = list_events(action="push_stop").items
    assert entry.actor == "worker@example.org" and entry.address == "192.0.2.4"
    assert f"push={push.id}" in (entry.detail or "") and "version=1" in (entry.detail or "")


def test_pushes_stay_out_of_the_alerts_and_the_records_alerts(store: str) -> None:
    cid = _finished()
    corrections.recode(cid, S, 0, c.PROTECT_MYSELF, "worker@example.org")
    assert alerts.list_alerts() == []
    record = records.get_record(cid, S)
    assert record is not None and record["alerts"] == []
    assert "version" not in record  # the export's record has no push version: only a push carries it


def test_waiting_counts_the_failing_and_the_oldest(store: str) -> None:
    _finished("a", "NR-1")
    _finished("b", "NR-2")
    (first, _) = push_outbox.claim_due("w1")
    push_outbox.record_try(first.id, "HTTP 502", claim=first.claim)
    found = pushes.waiting()
    assert (found.queued, found.failing) == (2, 1) and found.oldest is not None
    assert [p.id for p in pushes.list_pushes(failing=True)] == [first.id]
    assert len(pushes.list_pushes(enquiry_ref="NR-2")) == 1


def test_erasing_a_record_takes_its_pushes(store: str) -> None:
    from bot.store import privacy

    cid = _finished()
    privacy.erase(conversation_id=cid, actor="dpo@example.org", tracker_store_url="sqlite://")
    assert pushes.list_pushes() == []
