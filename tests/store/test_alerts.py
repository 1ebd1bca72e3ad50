"""Duty alerts in the store: written with their flag, claimed by one sender, retried, given up.

No channel is called here: `record_delivery` is given each round's results.
Every test runs on SQLite and on PostgreSQL (the production database), where
the claim race is the one that matters most.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, Dict, List, Set

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store import alerts, records
from bot.store.db import session_scope
from bot.store.models import Alert, AlertAttempt, utcnow

CID = "conv-alert"
S = c.STAGE_OUTCOMES
WEBHOOK = ("webhook",)
BOTH = ("webhook", "email")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _alert_count() -> int:
    with session_scope() as session:
        return len(list(session.execute(select(Alert.id)).scalars()))


def _row(alert_id: int) -> Alert:
    with session_scope() as session:
        row = session.get(Alert, alert_id)
        assert row is not None
        session.expunge(row)
        return row


def _attempts(alert_id: int) -> List[AlertAttempt]:
    with session_scope() as session:
        rows = list(session.execute(
            select(AlertAttempt).where(AlertAttempt.alert_id == alert_id).order_by(AlertAttempt.id)
        ).scalars())
        session.expunge_all()
        return rows


def _make_due(alert_id: int) -> None:
    """Skip the back-off wait: the next try is due now."""
    with session_scope() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(next_attempt_at=utcnow()))


# Written with the flag -------------------------------------------------------------------


def test_urgent_flag_writes_its_alert(store: str) -> None:
    records.start_conversation(CID, S, "NR-2026-0042", "person")
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    record = records.get_record(CID, S)
    assert record is not None and record["flags"][c.FLAG_URGENT_SAFETY] is True
    (alert,) = alerts.list_alerts()
    assert (alert.id, alert.kind, alert.enquiry_ref, alert.conversation_id, alert.stage) == (
        alert_id, c.FLAG_URGENT_SAFETY, "NR-2026-0042", CID, S)
    assert alert.delivery == c.DELIVERY_RETRYING and alert.attempts == 0


@pytest.mark.parametrize("existing", [True, False], ids=["conversation exists", "new conversation"])
def test_a_failed_transaction_leaves_neither_flag_nor_alert(store: str, existing: bool) -> None:
    if existing:
        records.start_conversation(CID, S, "NR-1")

    def refuse_alerts(session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(obj, Alert) for obj in session.new):
            raise RuntimeError("the alert could not be written")

    event.listen(Session, "before_flush", refuse_alerts)
    try:
        with pytest.raises(RuntimeError):
            records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    finally:
        event.remove(Session, "before_flush", refuse_alerts)
    record = records.get_record(CID, S)
    if existing:
        assert record is not None and record["flags"][c.FLAG_URGENT_SAFETY] is False
    else:
        assert record is None
    assert _alert_count() == 0


def test_one_open_alert_per_conversation_and_kind(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK) == first
    human = records.set_flag(CID, S, c.FLAG_WANTS_HUMAN_CONTACT, WEBHOOK)
    other_stage = records.set_flag(CID, c.STAGE_REVIEW, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert len({first, human, other_stage}) == 3
    assert _alert_count() == 3
    # Sent but not yet acknowledged: it still stands for the new danger.
    assert first is not None
    alerts.record_delivery(first, WEBHOOK, {"webhook": None})
    assert records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK) == first
    # Once seen by a practitioner, new danger is a new alert.
    assert alerts.acknowledge(first, "duty-worker")
    second = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert second not in (first, None)
    # A failed alert does not stand for anything: new danger tries again.
    with session_scope() as session:
        session.execute(update(Alert).where(Alert.id == second).values(delivery=c.DELIVERY_FAILED))
    third = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert third not in (first, second, None)
    assert _alert_count() == 5


def test_two_writers_at_once_still_make_one_alert(store: str) -> None:
    """The action server and the sender (storing a spooled flag) may raise the same flag at once."""
    records.start_conversation(CID, S, "NR-1")
    barrier = threading.Barrier(4)
    ids: List[Any] = []

    def raise_it() -> None:
        barrier.wait(timeout=30)
        ids.append(records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK))

    threads = [threading.Thread(target=raise_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 4 and len(set(ids)) == 1 and None not in ids
    assert _alert_count() == 1


def test_advocacy_flag_raises_no_alert(store: str) -> None:
    assert records.set_flag(CID, S, c.FLAG_ADVOCACY_REQUESTED, BOTH) is None
    record = records.get_record(CID, S)
    assert record is not None and record["flags"][c.FLAG_ADVOCACY_REQUESTED] is True
    assert _alert_count() == 0


def test_no_channel_is_stored_as_no_channel_and_sent_once_one_is_set(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_WANTS_HUMAN_CONTACT, ())
    (alert,) = alerts.list_alerts()
    assert alert.id == alert_id and alert.delivery == c.DELIVERY_NO_CHANNEL
    # A sender with no channel leaves it alone ...
    assert alerts.claim_due("w", retry_no_channel=False) == []
    # ... and one that has a channel takes it up.
    (claimed,) = alerts.claim_due("w", retry_no_channel=True)
    assert claimed.id == alert_id
    assert alerts.record_delivery(alert_id, WEBHOOK, {"webhook": None}, claim=claimed.claim) == c.DELIVERY_SENT


def test_a_sender_with_no_channel_records_no_channel(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    assert alerts.record_delivery(alert_id, (), {}) == c.DELIVERY_NO_CHANNEL


# Claimed by one sender at a time ------------------------------------------------------------


def _claim_race(workers: int = 2, count: int = 40, limit: int = 3) -> Dict[int, List[int]]:
    """`workers` threads claim at the same moment, round after round, until all are taken."""
    expected = {records.set_flag(f"race-{i}", S, c.FLAG_URGENT_SAFETY, WEBHOOK) for i in range(count)}
    assert None not in expected and len(expected) == count
    rounds = count // limit + 3
    barrier = threading.Barrier(workers)
    got: Dict[int, List[int]] = {n: [] for n in range(workers)}
    errors: List[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                got[n].extend(a.id for a in alerts.claim_due(f"worker-{n}", limit=limit))
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    claimed = [alert_id for ids in got.values() for alert_id in ids]
    assert len(claimed) == len(set(claimed)), "an alert was claimed twice"
    assert set(claimed) == expected, "some alerts were never claimed"
    return got


def test_claim_is_exclusive(store: str) -> None:
    _claim_race(workers=3)


def test_claim_is_a_lease_and_a_stale_sender_cannot_undo_the_next_claim(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    (first,) = alerts.claim_due("slow", lease=timedelta(seconds=-1))  # a lease already over
    (second,) = alerts.claim_due("fast")  # so another sender may take it over
    assert first.id == second.id == alert_id and first.claim != second.claim
    # The slow sender finishes late: its try counts, but the fast sender keeps its claim.
    alerts.record_delivery(alert_id, BOTH, {"webhook": None, "email": "SMTPException"}, claim=first.claim)
    assert _row(alert_id).claimed_by == second.claim
    assert alerts.claim_due("third") == []
    # The fast sender only needs the channel that has not gone yet.
    assert _row(alert_id).channels_done == "webhook"
    assert alerts.record_delivery(alert_id, BOTH, {"email": None}, claim=second.claim) == c.DELIVERY_SENT
    assert _row(alert_id).claimed_by is None


def test_release_gives_an_alert_back_at_once(store: str) -> None:
    records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    (claimed,) = alerts.claim_due("w")
    assert claimed.claim is not None
    assert alerts.release([claimed.id], "someone-else") == 0
    assert alerts.release([claimed.id], claimed.claim) == 1
    assert [a.id for a in alerts.claim_due("w2")] == [claimed.id]


def test_claims_take_the_longest_waiting_try_first(store: str) -> None:
    old = records.set_flag("old", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    new = records.set_flag("new", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert old is not None and new is not None
    # The old alert keeps failing: the new one must not wait behind it.
    alerts.record_delivery(old, WEBHOOK, {"webhook": "ConnectionError"})
    _make_due(old)
    assert [a.id for a in alerts.claim_due("w", limit=1)] == [new]


def test_acknowledged_alert_is_not_sent_again(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None and alerts.acknowledge(alert_id, "duty-worker")
    assert not alerts.acknowledge(alert_id, "duty-worker")
    assert alerts.claim_due("w") == []


# Retried with back-off, then given up ------------------------------------------------------


def test_back_off_doubles_and_is_capped_at_60_seconds() -> None:
    assert [alerts.next_delay(n, 60.0) for n in range(1, 11)] == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert alerts.next_delay(10_000, 60.0) == 60.0


def test_each_failed_round_waits_longer_up_to_the_cap(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    waits: List[float] = []
    for _ in range(9):
        before = utcnow()
        state = alerts.record_delivery(alert_id, WEBHOOK, {"webhook": "ConnectionError"}, max_delay_s=60.0)
        assert state == c.DELIVERY_RETRYING
        waits.append(round((_row(alert_id).next_attempt_at - before).total_seconds()))
        assert alerts.claim_due("w") == []  # not due until the wait is over
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    row = _row(alert_id)
    assert row.attempts == 9 and row.last_error == "webhook: ConnectionError"
    assert len(_attempts(alert_id)) == 9


def test_gives_up_after_the_configured_hours_and_stays_listed(store: str) -> None:
    give_up = timedelta(hours=2)
    long_ago = utcnow() - timedelta(hours=3)
    overdue = records.set_flag("overdue", S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=long_ago)
    failing = records.set_flag("failing", S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=long_ago)
    recent = records.set_flag("recent", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert None not in (overdue, failing, recent)
    # A round that fails past the give-up time ends it ...
    assert alerts.record_delivery(failing, WEBHOOK, {"webhook": "HTTP 503"}, give_up=give_up) == c.DELIVERY_FAILED
    # ... and so does the sweep, for one no sender got round to.
    assert alerts.give_up_overdue(give_up) == 1
    assert [a.id for a in alerts.claim_due("w", give_up=give_up)] == [recent]
    failed = alerts.list_alerts(delivery=c.DELIVERY_FAILED)
    assert {a.id for a in failed} == {overdue, failing}
    assert {a.id for a in alerts.list_alerts(open_only=True)} == {overdue, failing, recent}
    # Under the default 24 hours the same alerts would still be tried.
    assert alerts.next_delay(1, 60.0) == 1.0


def test_one_channel_failing_keeps_the_other_done(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, BOTH)
    assert alert_id is not None
    (claimed,) = alerts.claim_due("w")
    assert claimed.channels_done == ()
    state = alerts.record_delivery(alert_id, BOTH, {"webhook": None, "email": "SMTPServerDisconnected"},
                                   claim=claimed.claim)
    assert state == c.DELIVERY_RETRYING
    row = _row(alert_id)
    assert row.channels_done == "webhook" and row.last_error == "email: SMTPServerDisconnected"
    _make_due(alert_id)
    (again,) = alerts.claim_due("w")
    assert again.channels_done == ("webhook",)  # so the sender tries only the email
    assert alerts.record_delivery(alert_id, BOTH, {"email": None}, claim=again.claim) == c.DELIVERY_SENT
    done = _row(alert_id)
    assert done.channels_done == "webhook,email" and done.sent_at is not None and done.last_error is None
    tried: Set[tuple] = {(a.channel, a.ok) for a in _attempts(alert_id)}
    assert tried == {("webhook", True), ("email", False), ("email", True)}
    assert len(_attempts(alert_id)) == 3


def test_list_alerts_filters_and_a_limit_keeps_the_newest(store: str) -> None:
    ids = [records.set_flag(f"c{i}", S, c.FLAG_URGENT_SAFETY, WEBHOOK,
                            raised_at=utcnow() - timedelta(minutes=10 - i)) for i in range(5)]
    alerts.record_delivery(ids[0], WEBHOOK, {"webhook": None})
    alerts.acknowledge(ids[1], "duty-worker")
    assert [a.id for a in alerts.list_alerts()] == ids
    assert [a.id for a in alerts.list_alerts(limit=2)] == ids[3:]
    assert [a.id for a in alerts.list_alerts(delivery=c.DELIVERY_SENT)] == [ids[0]]
    assert [a.id for a in alerts.list_alerts(open_only=True)] == [ids[0], *ids[2:]]
