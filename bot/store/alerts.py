"""Duty alerts: raise them and their follow-ups, list them, acknowledge a chain.

The flag and its alert are written together by `records.set_flag`. The
sender's side of the outbox (claiming due alerts, recording each try, giving
up) is in `outbox.py`.

An alert is the first of a chain, or a follow-up linked to that first one
(another danger message, a quick exit, an escalation). The duty worker
acknowledges the chain as one: acknowledging any alert of it acknowledges
every alert of it that is still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation, utcnow


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
    # Why it was raised (c.ALERT_REASONS), the first alert of its chain when it is a follow-up,
    # and where it goes (c.ROUTE_DUTY, or c.ROUTE_OUT_OF_HOURS for an escalation).
    reason: str = c.ALERT_REASON_FIRST
    follows_alert_id: Optional[int] = None
    route: str = c.ROUTE_DUTY
    escalated_at: Optional[datetime] = None  # on a first alert: when it went to the out-of-hours route
    message_id: Optional[str] = None  # the message that raised it (none for an escalation)
    # The conversation has safe-contact answers (read when the alert is read, so when it is sent).
    safe_contact: bool = False
    # The claim token while a sender holds the alert (internal: not shown or exported).
    claim: Optional[str] = None


def _view(row: Alert, safe_contact: bool = False) -> AlertView:
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
        reason=row.reason or c.ALERT_REASON_FIRST,
        follows_alert_id=row.follows_alert_id,
        route=row.route or c.ROUTE_DUTY,
        escalated_at=row.escalated_at,
        message_id=row.message_id,
        safe_contact=safe_contact,
        claim=row.claimed_by,
    )


def _with_contact(query: Any) -> Any:
    """Alerts with whether their conversation has safe-contact answers, any of them (never the answers)."""
    answered = or_(*(getattr(Conversation, name).isnot(None)
                     for name in (*c.CONTACT_QUESTIONS, "contact_answered_at")))
    return query.add_columns(answered).outerjoin(Conversation, Conversation.id == Alert.conversation_pk)


def views(session: Session, query: Any) -> List[AlertView]:
    return [_view(row, bool(answered)) for row, answered in session.execute(_with_contact(query))]


def list_alerts(
    delivery: Optional[str] = None, open_only: bool = False, limit: Optional[int] = None
) -> List[AlertView]:
    """Alerts, oldest first (the longest-waiting is the most urgent).

    With `limit`, the newest `limit` alerts, still shown oldest first: a cut
    must never hide the alert that was raised a minute ago.
    """
    query = select(Alert).order_by(Alert.raised_at.desc(), Alert.id.desc())
    if delivery:
        query = query.where(Alert.delivery == delivery)
    if open_only:
        query = query.where(Alert.acknowledged_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    with session_scope() as session:
        return list(reversed(views(session, query)))


def alerts_for(session: Session, conversation_pks: Sequence[int]) -> Dict[int, List[AlertView]]:
    """Alerts of these conversation rows, for the export (one query)."""
    found: Dict[int, List[AlertView]] = {}
    if not conversation_pks:
        return found
    query = select(Alert).where(Alert.conversation_pk.in_(list(conversation_pks))).order_by(
        Alert.raised_at, Alert.id)
    for row, answered in session.execute(_with_contact(query)):
        found.setdefault(row.conversation_pk, []).append(_view(row, bool(answered)))
    return found


# Chains: the first alert, its follow-ups, its escalation ----------------------------------------


def new_alert(
    conversation: Conversation,
    kind: str,
    channels: Sequence[str],
    raised_at: Optional[datetime] = None,
    message_id: Optional[str] = None,
) -> Alert:
    """The first alert of a chain (not yet added to a session)."""
    return Alert(
        conversation_pk=conversation.id,
        conversation_id=conversation.conversation_id,
        stage=conversation.stage,
        enquiry_ref=conversation.enquiry_ref,
        kind=kind,
        raised_at=raised_at or utcnow(),
        next_attempt_at=utcnow(),
        delivery=c.DELIVERY_RETRYING if channels else c.DELIVERY_NO_CHANNEL,
        reason=c.ALERT_REASON_FIRST,
        route=c.ROUTE_DUTY,
        message_id=(message_id or None) and message_id[:64],
    )


def _follow_up(first: Alert, reason: str, route: str, delivery: str, raised_at: datetime,
               message_id: Optional[str] = None) -> Alert:
    return Alert(
        conversation_pk=first.conversation_pk,
        conversation_id=first.conversation_id,
        stage=first.stage,
        enquiry_ref=first.enquiry_ref,
        kind=first.kind,
        raised_at=raised_at,
        next_attempt_at=utcnow(),
        delivery=delivery,
        reason=reason,
        route=route,
        follows_alert_id=first.id,
        message_id=(message_id or None) and message_id[:64],
    )


def raise_alert(
    session: Session,
    conversation: Conversation,
    kind: str,
    channels: Sequence[str],
    raised_at: Optional[datetime],
    message_id: Optional[str],
) -> int:
    """The duty alert for a flag just raised: a first alert, or a follow-up while the first is open."""
    # Lock the conversation row (PostgreSQL; SQLite serialises writers anyway) so that two
    # writers at once, say the action server and the sender storing a spooled flag, cannot
    # both see "no open alert" and write two first alerts.
    session.execute(select(Conversation.id).where(Conversation.id == conversation.id).with_for_update())
    first = open_first(session, conversation.id, kind)
    if first is not None:
        return write_follow_up(session, first, c.ALERT_REASON_AGAIN, channels, raised_at=raised_at,
                               message_id=message_id)
    alert = new_alert(conversation, kind, channels, raised_at, message_id)
    session.add(alert)
    session.flush()
    return int(alert.id)


def open_first(session: Session, conversation_pk: int, kind: str) -> Optional[Alert]:
    """The open first alert of this conversation and kind (unacknowledged, not failed), locked.

    The row lock (PostgreSQL) orders a follow-up against an acknowledgement or
    an escalation of the same chain; SQLite serialises writers anyway.
    """
    return session.execute(
        select(Alert)
        .where(
            Alert.conversation_pk == conversation_pk,
            Alert.kind == kind,
            Alert.reason == c.ALERT_REASON_FIRST,
            Alert.acknowledged_at.is_(None),
            Alert.delivery != c.DELIVERY_FAILED,
        )
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def write_follow_up(
    session: Session,
    first: Alert,
    reason: str,
    channels: Sequence[str],
    raised_at: Optional[datetime] = None,
    message_id: Optional[str] = None,
) -> int:
    """A follow-up to `first` for the duty team; returns its id.

    Stored `retrying`, or `no_channel` with no duty channel, like any alert.
    When the chain has been escalated, the out-of-hours team gets a copy too:
    it is the team that may be acting on it now. That copy is stored
    `retrying`; the sender makes it `no_channel` if that route has no channel.
    """
    now = raised_at or utcnow()
    duty = _follow_up(first, reason, c.ROUTE_DUTY,
                      c.DELIVERY_RETRYING if channels else c.DELIVERY_NO_CHANNEL, now, message_id)
    session.add(duty)
    if first.escalated_at is not None:
        session.add(_follow_up(first, reason, c.ROUTE_OUT_OF_HOURS, c.DELIVERY_RETRYING, now, message_id))
    session.flush()
    return int(duty.id)


def note_quick_exit(
    conversation_id: str,
    channels: Sequence[str],
    within_minutes: float = 30,
    now: Optional[datetime] = None,
) -> Optional[int]:
    """The person left with "Exit this page": tell the duty worker when danger came just before.

    When the conversation has an urgent-safety alert for a danger message that
    is unacknowledged, or was raised in the last `within_minutes`, a follow-up
    (reason `quick_exit`) is written to the first alert of that chain, and its
    id returned. Otherwise None: nothing to tell. A second quick exit while the
    first one's follow-up is still open and no danger came since adds nothing
    (its id is returned). `channels`: the duty channels, as for `set_flag`.
    """
    moment = now or utcnow()
    danger = (Alert.conversation_id == conversation_id, Alert.kind == c.FLAG_URGENT_SAFETY,
              Alert.route == c.ROUTE_DUTY, Alert.reason.in_([c.ALERT_REASON_FIRST, c.ALERT_REASON_AGAIN]))
    with session_scope() as session:
        latest = session.execute(
            select(Alert)
            .where(*danger, or_(
                and_(Alert.acknowledged_at.is_(None), Alert.delivery != c.DELIVERY_FAILED),
                Alert.raised_at >= moment - timedelta(minutes=within_minutes),
            ))
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if latest is None:
            return None
        first = session.execute(
            select(Alert).where(Alert.id == (latest.follows_alert_id or latest.id)).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if first is None:  # erased meanwhile
            return None
        told = session.execute(
            select(Alert.id).where(
                Alert.follows_alert_id == first.id,
                Alert.reason == c.ALERT_REASON_QUICK_EXIT,
                Alert.route == c.ROUTE_DUTY,
                Alert.acknowledged_at.is_(None),
                Alert.raised_at >= latest.raised_at,
            ).limit(1)
        ).scalar()
        if told is not None:
            return int(told)
        return write_follow_up(session, first, c.ALERT_REASON_QUICK_EXIT, channels, raised_at=moment)


def escalate_overdue(
    after: timedelta,
    channels: Sequence[str],
    now: Optional[datetime] = None,
    give_up: timedelta = timedelta(hours=24),
    limit: int = 50,
) -> List[Tuple[int, int]]:
    """Urgent alerts nobody acknowledged within `after` go to the out-of-hours route.

    For each first urgent-safety alert on the duty route, unacknowledged,
    raised more than `after` ago and not yet escalated: in one transaction,
    `escalated_at` is set on it and an escalation alert (route out_of_hours)
    is written, linked to it. Returns (first id, escalation id) pairs.
    `channels`: the out-of-hours channels; with none, the escalation is stored
    as `no_channel`. Alerts older than `give_up` are left alone (they are past
    sending), so old unacknowledged alerts are not escalated in a flood.

    Several senders at once escalate an alert once: the UPDATE checks again
    that it is still not escalated (PostgreSQL re-reads a row another
    transaction changed before it updates it; SQLite serialises writers).
    """
    moment = now or utcnow()
    where = (
        Alert.kind == c.FLAG_URGENT_SAFETY,
        Alert.reason == c.ALERT_REASON_FIRST,
        Alert.route == c.ROUTE_DUTY,
        Alert.acknowledged_at.is_(None),
        Alert.escalated_at.is_(None),
        Alert.raised_at <= moment - after,
        Alert.raised_at > moment - give_up,
    )
    with session_scope() as session:
        # Read first: on SQLite an UPDATE takes the write lock even when it matches nothing.
        due = list(session.execute(
            select(Alert.id).where(*where).order_by(Alert.raised_at, Alert.id).limit(limit)
        ).scalars())
    made: List[Tuple[int, int]] = []
    for first_id in due:
        with session_scope() as session:
            taken = session.execute(
                update(Alert).where(Alert.id == first_id, *where).values(escalated_at=moment)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # acknowledged, or escalated by another sender, meanwhile
                continue
            first = session.get(Alert, first_id)
            assert first is not None
            escalation = _follow_up(first, c.ALERT_REASON_ESCALATION, c.ROUTE_OUT_OF_HOURS,
                                    c.DELIVERY_RETRYING if channels else c.DELIVERY_NO_CHANNEL, moment)
            session.add(escalation)
            session.flush()
            made.append((first_id, int(escalation.id)))
    return made


def acknowledge(alert_id: int, by: str) -> bool:
    """A practitioner has seen it. Returns False when it was already acknowledged or is gone.

    One decision covers the chain: every open alert of it (the first, its
    follow-ups, its escalation) is acknowledged with it, so none of them is
    sent any more and the first is not escalated.
    """
    now = utcnow()
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.acknowledged_at is not None:
            return False
        head = alert.follows_alert_id or alert.id
        values = {"acknowledged_by": by, "acknowledged_at": now}
        # This one first: of two practitioners at once, only one is told it was theirs.
        mine = session.execute(
            update(Alert).where(Alert.id == alert_id, Alert.acknowledged_at.is_(None)).values(**values)
            .execution_options(synchronize_session=False)
        )
        if mine.rowcount != 1:
            return False
        session.execute(
            update(Alert)
            .where(or_(Alert.id == head, Alert.follows_alert_id == head), Alert.acknowledged_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return True
