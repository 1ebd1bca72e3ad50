"""Duty alerts in the outbox: claim the ones due, record each try, list them.

The flag and its alert are written together by `records.set_flag`. Here the
sender claims due alerts so that several senders never hold the same one at
once: on PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`, on SQLite with
one conditional UPDATE (SQLite has no row locks, and its writes are already
serialised). A claim is a lease: if a sender dies mid-delivery the alert is
free again when the lease ends, so delivery is at least once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.db import session_scope
from bot.store.models import Alert, AlertAttempt, utcnow

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class AlertView:
    """An alert as the sender, `msp alerts` and the workspace see it: ids, kind and times only."""

    id: int
    conversation_id: str
    stage: str
    enquiry_ref: Optional[str]
    kind: str
    raised_at: datetime
    delivery: str
    attempts: int
    channels_done: Tuple[str, ...]
    last_error: Optional[str]
    sent_at: Optional[datetime]
    acknowledged_by: Optional[str]
    acknowledged_at: Optional[datetime]


def _view(row: Alert) -> AlertView:
    return AlertView(
        id=row.id,
        conversation_id=row.conversation_id,
        stage=row.stage,
        enquiry_ref=row.enquiry_ref,
        kind=row.kind,
        raised_at=row.raised_at,
        delivery=row.delivery,
        attempts=row.attempts,
        channels_done=tuple(ch for ch in (row.channels_done or "").split(",") if ch),
        last_error=row.last_error,
        sent_at=row.sent_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
    )


def _due(now: datetime, give_up: timedelta, retry_no_channel: bool):  # type: ignore[no-untyped-def]
    """The WHERE clause of alerts a sender may take now."""
    deliveries = [c.DELIVERY_RETRYING]
    if retry_no_channel:
        deliveries.append(c.DELIVERY_NO_CHANNEL)
    return (
        Alert.delivery.in_(deliveries),
        Alert.next_attempt_at <= now,
        Alert.raised_at > now - give_up,
        or_(Alert.claimed_until.is_(None), Alert.claimed_until < now),
    )


def claim_due(
    worker: str, limit: int = 20, give_up: timedelta = timedelta(hours=24), retry_no_channel: bool = True
) -> List[AlertView]:
    """Claim up to `limit` due alerts for `worker`, oldest first."""
    now = utcnow()
    token = f"{worker}:{uuid.uuid4().hex[:8]}"
    where = _due(now, give_up, retry_no_channel)
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            ids = list(
                session.execute(
                    select(Alert.id)
                    .where(*where)
                    .order_by(Alert.raised_at, Alert.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            session.execute(
                update(Alert)
                .where(Alert.id.in_(ids))
                .values(claimed_by=token, claimed_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
        else:
            candidates = select(Alert.id).where(*where).order_by(Alert.raised_at, Alert.id).limit(limit)
            session.execute(
                update(Alert)
                .where(Alert.id.in_(candidates), *where)
                .values(claimed_by=token, claimed_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
        rows = session.execute(
            select(Alert).where(Alert.claimed_by == token).order_by(Alert.raised_at, Alert.id)
        ).scalars()
        return [_view(row) for row in rows]


def next_delay(attempts: int, max_delay_s: float) -> float:
    """Back-off after `attempts` tries: 1 s, 2 s, 4 s ... capped at `max_delay_s`."""
    return float(min(max_delay_s, 2 ** max(0, attempts - 1)))


def record_delivery(
    alert_id: int,
    configured: Sequence[str],
    results: Dict[str, Optional[str]],
    max_delay_s: float = 60.0,
    give_up: timedelta = timedelta(hours=24),
) -> str:
    """Store one round of tries (`results`: channel -> error, or None when it went); returns the state."""
    now = utcnow()
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
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
        alert.claimed_by = None
        alert.claimed_until = None
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


def list_alerts(
    delivery: Optional[str] = None, open_only: bool = False, limit: int = 200
) -> List[AlertView]:
    """Alerts, oldest first (the longest-waiting is the most urgent)."""
    query = select(Alert).order_by(Alert.raised_at, Alert.id).limit(limit)
    if delivery:
        query = query.where(Alert.delivery == delivery)
    if open_only:
        query = query.where(Alert.acknowledged_at.is_(None))
    with session_scope() as session:
        return [_view(row) for row in session.execute(query).scalars()]


def alerts_for(session: Session, conversation_pks: Sequence[int]) -> Dict[int, List[AlertView]]:
    """Alerts of these conversation rows, for the export (one query)."""
    found: Dict[int, List[AlertView]] = {}
    if not conversation_pks:
        return found
    rows = session.execute(
        select(Alert).where(Alert.conversation_pk.in_(list(conversation_pks))).order_by(Alert.raised_at)
    ).scalars()
    for row in rows:
        found.setdefault(row.conversation_pk, []).append(_view(row))
    return found


def acknowledge(alert_id: int, by: str) -> bool:
    """A practitioner has seen it. Returns False when it was already acknowledged or is gone."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.acknowledged_at is not None:
            return False
        alert.acknowledged_by = by
        alert.acknowledged_at = utcnow()
        return True
