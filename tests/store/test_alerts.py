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
from bot.store import alerts, outbox, records
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


def _chain(first: int) -> List[Alert]:
    """The alerts that follow `first`, in order."""
    with session_scope() as session:
        rows = list(session.execute(
            select(Alert).where(Alert.follows_alert_id == first).order_by(Alert.id)).scalars())
        session.expunge_all()
        return rows


def test_each_danger_message_while_one_is_open_writes_a_follow_up(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, message_id="m1")
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, message_id="m2")
    third = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, (), message_id="m3")
    assert first is not None and len({first, again, third}) == 3 and None not in (again, third)
    head = _row(first)
    assert (head.reason, head.follows_alert_id, head.route, head.message_id) == (
        c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY, "m1")
    # Every follow-up links to the first, not to the one before it; each is sent like any alert.
    assert [(a.id, a.reason, a.route, a.message_id, a.delivery) for a in _chain(first)] == [
        (again, c.ALERT_REASON_AGAIN, c.ROUTE_DUTY, "m2", c.DELIVERY_RETRYING),
        (third, c.ALERT_REASON_AGAIN, c.ROUTE_DUTY, "m3", c.DELIVERY_NO_CHANNEL),
    ]
    assert {a.id for a in outbox.claim_due("w", retry_no_channel=False)} == {first, again}
    # Other kinds and other stages have chains of their own.
    human = records.set_flag(CID, S, c.FLAG_WANTS_HUMAN_CONTACT, WEBHOOK)
    other_stage = records.set_flag(CID, c.STAGE_REVIEW, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert human is not None and other_stage is not None
    assert _row(human).reason == _row(other_stage).reason == c.ALERT_REASON_FIRST
    assert _alert_count() == 5


def test_sent_still_open_acknowledged_closed_failed_closed(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None
    # Sent but not yet acknowledged: the chain is still open.
    outbox.record_delivery(first, WEBHOOK, {"webhook": None})
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert again is not None and _row(again).follows_alert_id == first
    # Once seen by a practitioner, new danger is a new first alert.
    assert alerts.acknowledge(first, "duty-worker")
    second = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert second not in (first, again, None)
    assert second is not None and (_row(second).reason, _row(second).follows_alert_id) == (
        c.ALERT_REASON_FIRST, None)
    # A failed alert does not stand for anything: new danger starts a new chain.
    with session_scope() as session:
        session.execute(update(Alert).where(Alert.id == second).values(delivery=c.DELIVERY_FAILED))
    third = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert third is not None and third not in (first, again, second)
    assert _row(third).reason == c.ALERT_REASON_FIRST
    assert _alert_count() == 4


def test_acknowledging_one_alert_acknowledges_its_chain(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    other = records.set_flag("another", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None and again is not None and other is not None
    assert alerts.acknowledge(again, "duty-worker")  # the follow-up, seen first
    assert not alerts.acknowledge(first, "someone else")  # already covered by that decision
    for alert_id in (first, again):
        row = _row(alert_id)
        assert (row.acknowledged_by, row.acknowledged_at is not None) == ("duty-worker", True)
    assert _row(other).acknowledged_at is None
    assert [a.id for a in outbox.claim_due("w")] == [other]  # the chain is sent no more


def test_two_writers_at_once_make_one_first_alert_and_follow_ups(store: str) -> None:
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
    assert len(ids) == 4 and len(set(ids)) == 4 and None not in ids
    with session_scope() as session:
        rows = list(session.execute(select(Alert.id, Alert.reason, Alert.follows_alert_id)))
    (first,) = [r.id for r in rows if r.reason == c.ALERT_REASON_FIRST]  # never two
    assert sorted((r.reason, r.follows_alert_id) for r in rows if r.id != first) == [
        (c.ALERT_REASON_AGAIN, first)] * 3
    assert {r.id for r in rows} == set(ids)


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
    assert outbox.claim_due("w", retry_no_channel=False) == []
    # ... and one that has a channel takes it up.
    (claimed,) = outbox.claim_due("w", retry_no_channel=True)
    assert claimed.id == alert_id
    assert outbox.record_delivery(alert_id, WEBHOOK, {"webhook": None}, claim=claimed.claim) == c.DELIVERY_SENT


def test_a_sender_with_no_channel_records_no_channel(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    assert outbox.record_delivery(alert_id, (), {}) == c.DELIVERY_NO_CHANNEL


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
                got[n].extend(a.id for a in outbox.claim_due(f"worker-{n}", limit=limit))
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
    (first,) = outbox.claim_due("slow", lease=timedelta(seconds=-1))  # a lease already over
    (second,) = outbox.claim_due("fast")  # so another sender may take it over
    assert first.id == second.id == alert_id and first.claim != second.claim
    # The slow sender finishes late: its try counts, but the fast sender keeps its claim.
    outbox.record_delivery(alert_id, BOTH, {"webhook": None, "email": "SMTPException"}, claim=first.claim)
    assert _row(alert_id).claimed_by == second.claim
    assert outbox.claim_due("third") == []
    # The fast sender only needs the channel that has not gone yet.
    assert _row(alert_id).channels_done == "webhook"
    assert outbox.record_delivery(alert_id, BOTH, {"email": None}, claim=second.claim) == c.DELIVERY_SENT
    assert _row(alert_id).claimed_by is None


def test_release_gives_an_alert_back_at_once(store: str) -> None:
    records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    (claimed,) = outbox.claim_due("w")
    assert claimed.claim is not None
    assert outbox.release([claimed.id], "someone-else") == 0
    assert outbox.release([claimed.id], claimed.claim) == 1
    assert [a.id for a in outbox.claim_due("w2")] == [claimed.id]


def test_claims_take_the_longest_waiting_try_first(store: str) -> None:
    old = records.set_flag("old", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    new = records.set_flag("new", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert old is not None and new is not None
    # The old alert keeps failing: the new one must not wait behind it.
    outbox.record_delivery(old, WEBHOOK, {"webhook": "ConnectionError"})
    _make_due(old)
    assert [a.id for a in outbox.claim_due("w", limit=1)] == [new]


def test_acknowledged_alert_is_not_sent_again(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None and alerts.acknowledge(alert_id, "duty-worker")
    assert not alerts.acknowledge(alert_id, "duty-worker")
    assert outbox.claim_due("w") == []


# Retried with back-off, then given up ------------------------------------------------------


def test_back_off_doubles_and_is_capped_at_60_seconds() -> None:
    assert [outbox.next_delay(n, 60.0) for n in range(1, 11)] == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert outbox.next_delay(10_000, 60.0) == 60.0


def test_each_failed_round_waits_longer_up_to_the_cap(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert alert_id is not None
    waits: List[float] = []
    for _ in range(9):
        before = utcnow()
        state = outbox.record_delivery(alert_id, WEBHOOK, {"webhook": "ConnectionError"}, max_delay_s=60.0)
        assert state == c.DELIVERY_RETRYING
        waits.append(round((_row(alert_id).next_attempt_at - before).total_seconds()))
        assert outbox.claim_due("w") == []  # not due until the wait is over
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
    assert outbox.record_delivery(failing, WEBHOOK, {"webhook": "HTTP 503"}, give_up=give_up) == c.DELIVERY_FAILED
    # ... and so does the sweep, for one no sender got round to.
    assert outbox.give_up_overdue(give_up) == 1
    assert [a.id for a in outbox.claim_due("w", give_up=give_up)] == [recent]
    failed = alerts.list_alerts(delivery=c.DELIVERY_FAILED)
    assert {a.id for a in failed} == {overdue, failing}
    assert {a.id for a in alerts.list_alerts(open_only=True)} == {overdue, failing, recent}
    # Under the default 24 hours the same alerts would still be tried.
    assert outbox.next_delay(1, 60.0) == 1.0


def test_one_channel_failing_keeps_the_other_done(store: str) -> None:
    alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, BOTH)
    assert alert_id is not None
    (claimed,) = outbox.claim_due("w")
    assert claimed.channels_done == ()
    state = outbox.record_delivery(alert_id, BOTH, {"webhook": None, "email": "SMTPServerDisconnected"},
                                   claim=claimed.claim)
    assert state == c.DELIVERY_RETRYING
    row = _row(alert_id)
    assert row.channels_done == "webhook" and row.last_error == "email: SMTPServerDisconnected"
    _make_due(alert_id)
    (again,) = outbox.claim_due("w")
    assert again.channels_done == ("webhook",)  # so the sender tries only the email
    assert outbox.record_delivery(alert_id, BOTH, {"email": None}, claim=again.claim) == c.DELIVERY_SENT
    done = _row(alert_id)
    assert done.channels_done == "webhook,email" and done.sent_at is not None and done.last_error is None
    tried: Set[tuple] = {(a.channel, a.ok) for a in _attempts(alert_id)}
    assert tried == {("webhook", True), ("email", False), ("email", True)}
    assert len(_attempts(alert_id)) == 3


def test_list_alerts_filters_and_a_limit_keeps_the_newest(store: str) -> None:
    ids = [records.set_flag(f"c{i}", S, c.FLAG_URGENT_SAFETY, WEBHOOK,
                            raised_at=utcnow() - timedelta(minutes=10 - i)) for i in range(5)]
    outbox.record_delivery(ids[0], WEBHOOK, {"webhook": None})
    alerts.acknowledge(ids[1], "duty-worker")
    assert [a.id for a in alerts.list_alerts()] == ids
    assert [a.id for a in alerts.list_alerts(limit=2)] == ids[3:]
    assert [a.id for a in alerts.list_alerts(delivery=c.DELIVERY_SENT)] == [ids[0]]
    assert [a.id for a in alerts.list_alerts(open_only=True)] == [ids[0], *ids[2:]]


# Escalated when nobody acknowledges ------------------------------------------------------------

AFTER = timedelta(minutes=15)
OOH = ("webhook",)


def test_escalated_once_after_the_time_to_the_out_of_hours_route(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None
    raised = _row(first).raised_at
    # Not before the time ...
    assert alerts.escalate_overdue(AFTER, OOH, now=raised + timedelta(minutes=14, seconds=59)) == []
    # ... then once.
    later = raised + timedelta(minutes=15, seconds=1)
    ((escalated, escalation),) = alerts.escalate_overdue(AFTER, OOH, now=later)
    assert escalated == first
    assert alerts.escalate_overdue(AFTER, OOH, now=later + timedelta(minutes=30)) == []
    assert _row(first).escalated_at == later
    row = _row(escalation)
    assert (row.reason, row.route, row.follows_alert_id, row.kind, row.conversation_id, row.delivery) == (
        c.ALERT_REASON_ESCALATION, c.ROUTE_OUT_OF_HOURS, first, c.FLAG_URGENT_SAFETY, CID, c.DELIVERY_RETRYING)
    # It is claimed and retried like any alert.
    assert escalation in {a.id for a in outbox.claim_due("w")}


def test_escalation_with_no_out_of_hours_channel_is_stored_as_no_channel(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=utcnow() - AFTER * 2)
    ((_, escalation),) = alerts.escalate_overdue(AFTER, ())
    assert _row(escalation).delivery == c.DELIVERY_NO_CHANNEL
    # Taken up by a sender only once the out-of-hours route has a channel.
    assert {a.id for a in outbox.claim_due("w", retry_no_channel=(c.ROUTE_DUTY,))} == {first}
    assert [a.id for a in outbox.claim_due("w2", retry_no_channel=(c.ROUTE_OUT_OF_HOURS,))] == [escalation]


def test_only_open_first_urgent_alerts_are_escalated(store: str) -> None:
    long_ago = utcnow() - timedelta(minutes=20)
    acknowledged = records.set_flag("acked", S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=long_ago)
    human = records.set_flag("human", S, c.FLAG_WANTS_HUMAN_CONTACT, WEBHOOK, raised_at=long_ago)
    ancient = records.set_flag("ancient", S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=utcnow() - timedelta(days=3))
    recent = records.set_flag("recent", S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    overdue = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, (), raised_at=long_ago)  # no duty channel
    follow_up = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, (), raised_at=long_ago)
    assert acknowledged is not None and alerts.acknowledge(acknowledged, "duty-worker")
    assert None not in (human, ancient, recent, follow_up)
    # Only the overdue first alert: not the acknowledged one, a request for a person, one past
    # sending (a flood of old alerts), a recent one, or a follow-up (its first stands for it).
    assert [first for first, _ in alerts.escalate_overdue(AFTER, OOH)] == [overdue]


def test_acknowledging_stops_escalation_and_acknowledges_the_escalation(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None and alerts.acknowledge(first, "duty-worker")
    assert alerts.escalate_overdue(AFTER, OOH, now=utcnow() + AFTER * 2) == []
    second = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert second is not None
    ((_, escalation),) = alerts.escalate_overdue(AFTER, OOH, now=utcnow() + AFTER * 2)
    assert alerts.acknowledge(second, "duty-worker")
    assert _row(escalation).acknowledged_by == "duty-worker"
    assert outbox.claim_due("w") == []


def test_follow_ups_of_an_escalated_chain_go_to_the_out_of_hours_team_too(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=utcnow() - AFTER * 2)
    assert first is not None
    ((_, escalation),) = alerts.escalate_overdue(AFTER, OOH)
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, message_id="m9")
    assert again is not None and _row(again).route == c.ROUTE_DUTY
    copies = [(a.reason, a.route, a.message_id) for a in _chain(first) if a.id not in (escalation, again)]
    assert copies == [(c.ALERT_REASON_AGAIN, c.ROUTE_OUT_OF_HOURS, "m9")]


def test_several_senders_at_once_escalate_an_alert_once(store: str) -> None:
    long_ago = utcnow() - AFTER * 2
    firsts = {records.set_flag(f"esc-{i}", S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=long_ago)
              for i in range(12)}
    workers = 4
    barrier = threading.Barrier(workers)
    made: List[Any] = []
    errors: List[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            made.extend(alerts.escalate_overdue(AFTER, OOH))
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(first for first, _ in made) == sorted(firsts), "an alert escalated twice, or never"
    with session_scope() as session:
        escalations = list(session.execute(
            select(Alert.follows_alert_id).where(Alert.reason == c.ALERT_REASON_ESCALATION)).scalars())
    assert sorted(escalations) == sorted(firsts)


# A quick exit after danger ---------------------------------------------------------------------


def test_quick_exit_with_no_danger_is_nothing_to_do(store: str) -> None:
    assert alerts.note_quick_exit("never-seen", WEBHOOK) is None
    records.set_flag(CID, S, c.FLAG_WANTS_HUMAN_CONTACT, WEBHOOK)
    assert alerts.note_quick_exit(CID, WEBHOOK) is None
    assert _alert_count() == 1


def test_quick_exit_while_danger_is_open_is_a_follow_up_to_the_first(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=utcnow() - timedelta(hours=3))
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None and again is not None
    left = alerts.note_quick_exit(CID, WEBHOOK)
    assert left is not None
    row = _row(left)
    assert (row.reason, row.follows_alert_id, row.route, row.delivery, row.stage) == (
        c.ALERT_REASON_QUICK_EXIT, first, c.ROUTE_DUTY, c.DELIVERY_RETRYING, S)
    # Leaving twice (a second request) tells the team once; danger after that, and leaving again, is new.
    assert alerts.note_quick_exit(CID, WEBHOOK) == left
    records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK, raised_at=utcnow() + timedelta(seconds=1))
    newer = alerts.note_quick_exit(CID, (), now=utcnow() + timedelta(seconds=2))
    assert newer not in (None, left) and newer is not None
    assert _row(newer).delivery == c.DELIVERY_NO_CHANNEL


def test_quick_exit_soon_after_acknowledged_danger_still_tells_the_team(store: str) -> None:
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert first is not None and alerts.acknowledge(first, "duty-worker")
    left = alerts.note_quick_exit(CID, WEBHOOK, within_minutes=30)
    assert left is not None and _row(left).follows_alert_id == first
    assert _row(left).acknowledged_at is None  # a new thing to see
    # Long after an acknowledged alert, leaving says nothing new.
    assert alerts.acknowledge(left, "duty-worker")
    assert alerts.note_quick_exit(CID, WEBHOOK, now=utcnow() + timedelta(minutes=31)) is None


# What readers see -------------------------------------------------------------------------------


def test_views_say_whether_safe_contact_answers_exist_and_the_export_has_the_chain(store: str) -> None:
    from bot.store.models import Conversation

    records.start_conversation(CID, S, "NR-7", "person")
    first = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    again = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, WEBHOOK)
    assert [a.safe_contact for a in alerts.list_alerts()] == [False, False]
    with session_scope() as session:
        session.execute(update(Conversation).where(Conversation.conversation_id == CID)
                        .values(contact_answered_at=utcnow()))
    views = alerts.list_alerts()
    assert [(a.id, a.reason, a.follows_alert_id, a.route, a.safe_contact) for a in views] == [
        (first, c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY, True),
        (again, c.ALERT_REASON_AGAIN, first, c.ROUTE_DUTY, True)]
    assert [a.safe_contact for a in outbox.claim_due("w")] == [True, True]
    (record,) = records.export_records(enquiry_ref="NR-7")
    assert [(a["reason"], a["follows_alert_id"], a["route"]) for a in record["alerts"]] == [
        (c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY), (c.ALERT_REASON_AGAIN, first, c.ROUTE_DUTY)]
