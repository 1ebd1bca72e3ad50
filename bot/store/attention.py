"""What waits for a practitioner: the alerts nobody has acknowledged, and the messages marked "worth a look".

No Flask here: the workspace's views call these. Ids, times and reasons only; never the person's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.store.alerts import AlertView, list_alerts
from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation, Mark, utcnow


@dataclass(frozen=True)
class OpenAlert(AlertView):
    """An alert nobody has acknowledged yet (as `alerts.list_alerts` reads it), and how long it has waited."""

    waited_s: int = 0


# --- alerts ------------------------------------------------------------------------------------


def open_alerts(limit: int = 100) -> List[OpenAlert]:
    """Alerts not yet acknowledged, the longest waiting first, with how long each has waited.

    With more than `limit` open, the newest `limit` are shown (as
    `alerts.list_alerts` does): a cut must never hide the alert raised a minute
    ago. Each says whether its record holds safe-contact answers (never what
    they are: the list is not the place for the person's words).
    """
    now = utcnow()
    return [OpenAlert(**vars(alert), waited_s=max(0, int((now - alert.raised_at).total_seconds())))
            for alert in list_alerts(open_only=True, limit=limit)]


@dataclass(frozen=True)
class AlertState:
    id: int
    enquiry_ref: Optional[str]
    conversation_id: str
    acknowledged_by: Optional[str]
    acknowledged_at: Optional[datetime]


def alert_state(alert_id: int) -> Optional[AlertState]:
    """An alert's ids and who acknowledged it, or None when there is no such alert."""
    with session_scope() as session:
        row = session.get(Alert, alert_id)
        if row is None:
            return None
        return AlertState(row.id, row.enquiry_ref, row.conversation_id, row.acknowledged_by,
                          row.acknowledged_at)


# --- "worth a look": messages marked for a person to read the same day -------------------------


@dataclass(frozen=True)
class MarkToRead:
    """A message marked "worth a look" (tier review) that nobody has read yet. Ids and why; never words."""

    id: int
    enquiry_ref: Optional[str]
    conversation_id: str
    stage: str
    message_id: Optional[str]  # the transcript anchor the conversation page uses: #message-<id>
    at: datetime
    kind: str
    reason: Optional[str]
    reader_version: str


def _unread_reviews() -> List[ColumnElement]:
    return [Mark.tier == c.MARK_REVIEW, Mark.read_at.is_(None)]  # ix_marks_tier_read_at (migration 0008)


def marks_to_read(limit: int = 100) -> List[MarkToRead]:
    """Messages marked "worth a look" and not yet read, the newest first (at most `limit`)."""
    with session_scope() as session:
        found = session.execute(
            select(Mark.id, Mark.message_id, Mark.at, Mark.kind, Mark.reason, Mark.reader_version,
                   Conversation.enquiry_ref, Conversation.conversation_id, Conversation.stage)
            .join(Conversation, Conversation.id == Mark.conversation_pk)
            .where(*_unread_reviews())
            .order_by(Mark.at.desc(), Mark.id.desc())
            .limit(max(1, int(limit)))
        )
        return [
            MarkToRead(id=row.id, enquiry_ref=row.enquiry_ref, conversation_id=row.conversation_id,
                       stage=row.stage, message_id=row.message_id, at=row.at, kind=row.kind,
                       reason=row.reason, reader_version=row.reader_version)
            for row in found
        ]


def count_marks_to_read() -> int:
    """How many messages marked "worth a look" nobody has read yet."""
    with session_scope() as session:
        return int(session.execute(
            select(func.count()).select_from(Mark).where(*_unread_reviews())
        ).scalar_one())


MARK_READ = "read"  # this call marked it as read
MARK_ALREADY_READ = "already_read"  # somebody had read it before: nothing changed
NO_MARK = "no_mark"  # no such mark (never was, or erased with its enquiry): nothing changed


@dataclass(frozen=True)
class MarkReading:
    """What `mark_read` did (`result`), and the mark's ids and who read it (None when there is no mark)."""

    result: str
    mark_id: int
    enquiry_ref: Optional[str] = None
    conversation_id: Optional[str] = None
    message_id: Optional[str] = None
    read_by: Optional[str] = None
    read_at: Optional[datetime] = None


def mark_read(mark_id: int, by: str, address: Optional[str] = None) -> MarkReading:
    """A practitioner has read the marked message: who and when are kept, and audited in the same transaction.

    Of two practitioners at once only one reads it first: the other is told
    who did (`MARK_ALREADY_READ`), and nothing changes. `NO_MARK` when there is
    no such mark. Raises ValueError without the name of who read it.
    """
    if not by:
        raise ValueError("marking a message as read needs the name of who read it")
    with session_scope() as session:
        found = session.execute(
            select(Mark.id, Mark.message_id, Conversation.enquiry_ref, Conversation.conversation_id,
                   Conversation.stage)
            .join(Conversation, Conversation.id == Mark.conversation_pk)
            .where(Mark.id == mark_id)
        ).first()
        if found is None:
            return MarkReading(NO_MARK, mark_id)
        ids = {"enquiry_ref": found.enquiry_ref, "conversation_id": found.conversation_id,
               "message_id": found.message_id}
        now = utcnow()
        done = session.execute(
            update(Mark).where(Mark.id == mark_id, Mark.read_at.is_(None))
            .values(read_at=now, read_by=by[:255])
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            now_read = session.execute(
                select(Mark.read_by, Mark.read_at).where(Mark.id == mark_id)
            ).first()
            if now_read is None:  # erased since it was found
                return MarkReading(NO_MARK, mark_id)
            return MarkReading(MARK_ALREADY_READ, mark_id, read_by=now_read.read_by, read_at=now_read.read_at,
                               **ids)
        add_audit(
            session, by, "mark_read",
            f"mark={mark_id} conversation={found.conversation_id} stage={found.stage} "
            f"message={found.message_id or '-'}",
            address,
        )
        return MarkReading(MARK_READ, mark_id, read_by=by[:255], read_at=now, **ids)
