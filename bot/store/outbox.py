"""Duty alerts in the outbox, the sender's side: claim the ones due, record each try, give up.

The sender claims due alerts so that several senders never hold the same one at
once: on PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`, on SQLite with
an UPDATE that checks again that each alert is still free (SQLite has no row
locks, and its writes are already serialised). A claim is a lease: if a
sender dies mid-delivery the alert is free again when the lease ends, so
delivery is at least once. A sender only releases a claim that is still its
own, so a slow sender whose lease has run out cannot undo the claim of the
sender that took over.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple, Union

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.alerts import AlertView, views
from bot.store.db import session_scope
from bot.store.models import Alert, AlertAttempt, utcnow

LEASE = timedelta(minutes=2)


RetryNoChannel = Union[bool, Collection[str]]


def _due(now: datetime, give_up: timedelta, retry_no_channel: RetryNoChannel) -> Tuple[Any, ...]:
    """The WHERE clause of alerts a sender may take now.

    An acknowledged alert is not sent again: a practitioner already has it.
    `retry_no_channel`: take up `no_channel` alerts too (True), none (False),
    or those of these routes (the routes that now have a channel).
    """
    if retry_no_channel is True:
        delivery = Alert.delivery.in_([c.DELIVERY_RETRYING, c.DELIVERY_NO_CHANNEL])
    elif not retry_no_channel:
        delivery = Alert.delivery == c.DELIVERY_RETRYING
    else:
        delivery = or_(Alert.delivery == c.DELIVERY_RETRYING,
                       and_(Alert.delivery == c.DELIVERY_NO_CHANNEL, Alert.route.in_(list(retry_no_channel))))
    return (
        delivery,
        Alert.next_attempt_at <= now,
        Alert.raised_at > now - give_up,
        Alert.acknowledged_at.is_(None),
        or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
    )


def claim_due(
    worker: str,
    limit: int = 20,
    give_up: timedelta = timedelta(hours=24),
    retry_no_channel: RetryNoChannel = True,
    lease: timedelta = LEASE,
) -> List[AlertView]:
    """Claim up to `limit` due alerts for `worker`, the longest-waiting try first.

    Ordered by when the next try was due, not by when the alert was raised, so
    one alert that keeps failing cannot starve newer ones.
    """
    now = utcnow()
    token = f"{worker}:{uuid.uuid4().hex[:8]}"[-64:]
    where = _due(now, give_up, retry_no_channel)
    order = (Alert.next_attempt_at, Alert.id)
    with session_scope() as session:
        if not claim_rows(session, Alert, where, order, limit, token, now + lease):
            return []
        return views(session, select(Alert).where(Alert.claimed_by == token).order_by(*order))


def claim_rows(session: Session, table: Any, where: Sequence[Any], order: Sequence[Any], limit: int,
               token: str, until: datetime) -> bool:
    """Claim up to `limit` rows of an outbox (`Alert`, `RecordPush`) for `token`; False when none was due."""
    candidates = select(table.id).where(*where).order_by(*order).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # Read first: on SQLite an UPDATE takes the write lock even when it matches nothing.
    ids = list(session.execute(candidates).scalars())
    if not ids:
        return False
    # The WHERE is checked again inside the UPDATE: on SQLite another sender may have
    # claimed some of these between the read and the write (row locks hold them on PostgreSQL).
    session.execute(
        update(table)
        .where(table.id.in_(ids), *where)
        .values(claimed_by=token, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return True


def release(alert_ids: Sequence[int], claim: str, table: Any = Alert) -> int:
    """Give back alerts this claim holds but will not try now (they are due again at once).

    `table`: another outbox with the same claim columns (the record pushes' `RecordPush`)."""
    if not alert_ids:
        return 0
    with session_scope() as session:
        result = session.execute(
            update(table)
            .where(table.id.in_(list(alert_ids)), table.claimed_by == claim)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


def next_delay(attempts: int, max_delay_s: float) -> float:
    """Back-off after `attempts` tries: 1 s, 2 s, 4 s ... capped at `max_delay_s`."""
    return float(min(max_delay_s, 2 ** max(0, attempts - 1)))


def record_delivery(
    alert_id: int,
    configured: Sequence[str],
    results: Dict[str, Optional[str]],
    max_delay_s: float = 60.0,
    give_up: timedelta = timedelta(hours=24),
    claim: Optional[str] = None,
) -> str:
    """Store one round of tries (`results`: channel -> error, or None when it went); returns the state.

    `claim` is the token the alert was claimed with: the claim is released only
    if it is still this one (another sender may have taken over after the lease).
    The row is locked while it is read and written, so two senders recording at
    once cannot lose each other's `channels_done`.
    """
    now = utcnow()
    with session_scope() as session:
        alert = session.get(Alert, alert_id, with_for_update=True)
        if alert is None:  # erased while it was being sent
            return c.DELIVERY_FAILED
        done = [ch for ch in (alert.channels_done or "").split(",") if ch]
        errors = []
        for channel, error in results.items():
            session.add(AlertAttempt(alert_id=alert_id, at=now, channel=channel, ok=error is None,
                                     error=(error or None) and error[:255]))
            if error is None and channel not in done:
                done.append(channel)
            elif error is not None:
                errors.append(f"{channel}: {error}")
        alert.channels_done = ",".join(done)
        alert.last_attempt_at = now
        if claim is None or alert.claimed_by == claim:
            alert.claimed_by = None
            alert.claimed_until = None
        if alert.delivery == c.DELIVERY_SENT:  # another sender finished it meanwhile
            return str(alert.delivery)
        if not configured:
            alert.delivery = c.DELIVERY_NO_CHANNEL
            return str(alert.delivery)
        alert.attempts = (alert.attempts or 0) + 1
        alert.last_error = "; ".join(errors)[:255] or None
        if all(ch in done for ch in configured):
            alert.delivery = c.DELIVERY_SENT
            alert.sent_at = now
        elif now - alert.raised_at >= give_up:
            alert.delivery = c.DELIVERY_FAILED
        else:
            alert.delivery = c.DELIVERY_RETRYING
            alert.next_attempt_at = now + timedelta(seconds=next_delay(alert.attempts, max_delay_s))
        return str(alert.delivery)


def give_up_overdue(give_up: timedelta = timedelta(hours=24)) -> int:
    """Alerts still retrying after the give-up time become `failed` (they stay visible)."""
    now = utcnow()
    with session_scope() as session:
        result = session.execute(
            update(Alert)
            .where(Alert.delivery == c.DELIVERY_RETRYING, Alert.raised_at <= now - give_up,
                   or_(Alert.claimed_until.is_(None), Alert.claimed_until < now))
            .values(delivery=c.DELIVERY_FAILED)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)
