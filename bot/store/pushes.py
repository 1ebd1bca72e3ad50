"""Record pushes to the council's case system: queue a version, list them, stop one.

A push is an outbox row of its own kind (`record_pushes`), apart from duty
alerts: it has its own listing (`msp pushes`), never shows in `msp alerts` or
in the record's `alerts`, and is never given up. `queue_push` is called in the
same transaction as the write that finishes or corrects a record, so a version
is queued exactly when its change is kept. Each record's versions count 1, 2,
3 ...; queuing one makes any older version still waiting `superseded`, so only
the newest is sent. The sender's side (claim, build the record, record the
try) is in `push_outbox.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import Conversation, RecordPush, utcnow


@dataclass(frozen=True)
class PushView:
    """A push as the sender, `msp pushes` and the workspace see it: ids, version, state and times."""

    id: int
    conversation_id: str
    stage: str
    enquiry_ref: Optional[str]
    version: int
    reason: str
    state: str
    queued_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: Optional[datetime]
    last_error: Optional[str]
    sent_at: Optional[datetime]
    closed_at: Optional[datetime]
    stopped_by: Optional[str]
    claim: Optional[str] = None  # the sender's claim token (internal: not shown)

    @property
    def failing(self) -> bool:
        """Still to go, and at least one try did not reach the case system."""
        return self.state == c.PUSH_QUEUED and self.attempts > 0


def view(row: RecordPush) -> PushView:
    return PushView(
        id=row.id, conversation_id=row.conversation_id, stage=row.stage, enquiry_ref=row.enquiry_ref,
        version=row.version, reason=row.reason, state=row.state, queued_at=row.queued_at,
        attempts=row.attempts or 0, next_attempt_at=row.next_attempt_at, last_attempt_at=row.last_attempt_at,
        last_error=row.last_error, sent_at=row.sent_at, closed_at=row.closed_at, stopped_by=row.stopped_by,
        claim=row.claimed_by,
    )


def queue_push(session: Session, conversation: Conversation, reason: str = c.PUSH_REASON_COMPLETED
               ) -> Optional[int]:
    """Queue the record's next version for the case system, in the caller's transaction; returns it.

    Call it inside the unit of work that changed the record (a check-in stage,
    say), after the change: the push then stands or falls with it. Older
    versions still waiting are marked `superseded`. A record with no enquiry
    reference is not pushed (a case system files by reference): None.
    """
    if reason not in c.PUSH_REASONS:
        raise ValueError(f"not a push reason: {reason}")
    if not conversation.enquiry_ref:
        return None
    session.flush()  # the record's id, when it is new
    # Lock the record's row (PostgreSQL; SQLite serialises writers) so two changes at once cannot
    # both read the same highest version.
    session.execute(select(Conversation.id).where(Conversation.id == conversation.id).with_for_update())
    latest = session.execute(
        select(func.max(RecordPush.version)).where(RecordPush.conversation_pk == conversation.id)
    ).scalar()
    version = int(latest or 0) + 1
    now = utcnow()
    session.execute(
        update(RecordPush)
        .where(RecordPush.conversation_pk == conversation.id, RecordPush.state == c.PUSH_QUEUED)
        .values(state=c.PUSH_SUPERSEDED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(RecordPush(
        conversation_pk=conversation.id, conversation_id=conversation.conversation_id,
        stage=conversation.stage, enquiry_ref=conversation.enquiry_ref, version=version, reason=reason,
        state=c.PUSH_QUEUED, queued_at=now, next_attempt_at=now, attempts=0,
    ))
    session.flush()
    return version


def has_pushes(session: Session, conversation: Conversation) -> bool:
    """Whether any version of this record was ever queued (so the case system may hold it)."""
    found = session.execute(
        select(RecordPush.id).where(RecordPush.conversation_pk == conversation.id).limit(1)
    ).scalar()
    return found is not None


def queue_correction(session: Session, conversation: Conversation) -> Optional[int]:
    """A practitioner corrected the record: push it again if the case system has, or will have, it.

    A finished record, or one pushed before, gets a new version. One still in
    progress is pushed when it finishes, with the correction in it.
    """
    if conversation.status == c.STATUS_COMPLETED or has_pushes(session, conversation):
        return queue_push(session, conversation, c.PUSH_REASON_CORRECTED)
    return None


def list_pushes(state: Optional[str] = None, failing: bool = False, enquiry_ref: Optional[str] = None,
                limit: Optional[int] = None) -> List[PushView]:
    """Pushes, newest first. `failing`: still to go after a try that did not reach the case system."""
    query: Any = select(RecordPush).order_by(RecordPush.queued_at.desc(), RecordPush.id.desc())
    if state:
        query = query.where(RecordPush.state == state)
    if failing:
        query = query.where(RecordPush.state == c.PUSH_QUEUED, RecordPush.attempts > 0)
    if enquiry_ref:
        query = query.where(RecordPush.enquiry_ref == enquiry_ref)
    if limit is not None:
        query = query.limit(limit)
    with session_scope() as session:
        return [view(row) for row in session.execute(query).scalars()]


@dataclass(frozen=True)
class Waiting:
    """What the workspace shows: how many pushes wait, how many of them failed a try, since when."""

    queued: int
    failing: int
    oldest: Optional[datetime]


def waiting() -> Waiting:
    """Pushes still to go: one query for the count, the failing count and the oldest."""
    queued = RecordPush.state == c.PUSH_QUEUED
    with session_scope() as session:
        total, failing, oldest = session.execute(
            select(func.count(RecordPush.id),
                   func.count(RecordPush.id).filter(RecordPush.attempts > 0),
                   func.min(RecordPush.queued_at)).where(queued)
        ).one()
    return Waiting(int(total or 0), int(failing or 0), oldest)


def stop(push_id: int, by: str, address: Optional[str] = None) -> bool:
    """A practitioner stops a push that is still to go; False when it is not waiting (or not there).

    It is not tried again. The change and its audit entry are one transaction.
    A try already on its way may still arrive; it is then recorded as sent.
    """
    if not by:
        raise ValueError("stopping a push needs the name of who stopped it")
    with session_scope() as session:
        row = session.get(RecordPush, push_id, with_for_update=True)
        if row is None or row.state != c.PUSH_QUEUED:
            return False
        row.state = c.PUSH_STOPPED
        row.stopped_by = by[:255]
        row.closed_at = utcnow()
        add_audit(session, by, "push_stop",
                  f"push={row.id} conversation={row.conversation_id} stage={row.stage} "
                  f"enquiry={row.enquiry_ref} version={row.version} attempts={row.attempts}", address)
        return True
