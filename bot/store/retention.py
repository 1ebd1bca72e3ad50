"""Retention: removing the person's words after the retention period.

`retention_due` and `apply_retention` remove the person's words
(`outcomes.own_words`, `conversations.comments`, the safe-contact answers,
the comments of the check-ins on a record (`checkins.comment`) and the
tracker events) of conversations whose last activity
(`conversations.updated_at`) is older than RETENTION_MONTHS, and set
`conversations.words_removed_at`. Codes, answers, statuses, flags, dates and
alerts stay, so the report's counts for past periods do not change
(`updated_at` is left as it was). It works in batches, committing each, and
running it again does nothing more. `msp retention` calls these.

The records database and the tracker store are two databases, so no single
transaction spans both. Tracker events go first (through `events.py`): if the
records part then fails, running the same command again finds everything that is left.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import Table, and_, case, func, literal, or_, select, update
from sqlalchemy.engine import Engine

from bot.store import audit as audit_log
from bot.store import events as tracker_events
from bot.store.db import session_scope
from bot.store.models import Checkin, Conversation, Outcome, utcnow

# Conversations per batch (one commit each).
DEFAULT_BATCH = 500
_chunks = tracker_events.chunks


def _in(column: Any, values: Any) -> Any:
    return column.in_(list(values))


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _months(months: Optional[int]) -> int:
    if months is None:
        from bot.settings import load_settings

        months = load_settings().retention_months
    if months < 1:
        raise ValueError("RETENTION_MONTHS must be 1 or more")
    return int(months)


def retention_cutoff(now: Optional[datetime] = None, months: Optional[int] = None) -> datetime:
    """Conversations last active before this moment (naive UTC) are past retention."""
    return months_before(now or utcnow(), _months(months))


@dataclass(frozen=True)
class RetentionDue:
    """What `apply_retention` would do now: counts only."""

    cutoff: datetime
    months: int
    conversations: int  # last active before the cut-off, words still held
    enquiries: int  # the enquiries they belong to (a conversation without a reference counts alone)
    already_removed: int  # words removed on an earlier run


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    months: int
    conversations: int = 0  # words removed
    outcomes: int = 0  # wishes whose own words were removed (their codes stay)
    comments: int = 0  # closing comments removed
    tracker_events: int = 0  # transcript events deleted
    batches: int = 0

    def detail(self) -> str:
        return (f"months={self.months} cutoff={self.cutoff:%Y-%m-%d} conversations={self.conversations} "
                f"outcomes={self.outcomes} comments={self.comments} tracker_events={self.tracker_events} "
                f"batches={self.batches}")


def _due(cutoff: datetime) -> List[Any]:
    conv = Conversation.__table__
    return [conv.c.updated_at < cutoff, conv.c.words_removed_at.is_(None)]


def retention_due(now: Optional[datetime] = None, months: Optional[int] = None) -> RetentionDue:
    months = _months(months)
    cutoff = retention_cutoff(now, months)
    conv = Conversation.__table__
    has_ref = and_(conv.c.enquiry_ref.isnot(None), conv.c.enquiry_ref != "")
    enquiry = case((has_ref, literal("e:") + conv.c.enquiry_ref),
                   else_=literal("c:") + conv.c.conversation_id)
    with session_scope() as session:
        conversations, enquiries = session.execute(
            select(func.count(), func.count(func.distinct(enquiry))).where(*_due(cutoff))).one()
        done = session.execute(select(func.count()).where(conv.c.words_removed_at.isnot(None))).scalar_one()
    return RetentionDue(cutoff, months, int(conversations), int(enquiries), int(done))


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def apply_retention(now: Optional[datetime] = None, months: Optional[int] = None, *, actor: str,
                    tracker_store_url: Optional[str] = None, batch: int = DEFAULT_BATCH,
                    address: Optional[str] = None) -> RetentionResult:
    """Remove the words of every conversation last active before the cut-off; one audit entry per run.

    Per batch (one commit each): the tracker events of those conversations
    (unless the same conversation id also has a record still within
    retention), the own words of their wishes (set to ""), their comments
    (NULL), and `words_removed_at`. Then the tracker store's conversations
    that have no record within retention and no event since the cut-off.
    `updated_at` is kept as it was, so the report counts each record in the
    same period as before. The audit entry is written even when a batch
    fails, with what was done until then.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    months = _months(months)
    cutoff = retention_cutoff(now, months)
    totals = {"conversations": 0, "outcomes": 0, "comments": 0, "tracker_events": 0, "batches": 0}
    problem: Optional[str] = None
    try:
        with tracker_events.opened(tracker_events.tracker_url(tracker_store_url)) as (events, engine):
            last = 0
            while True:
                done, last = _retention_batch(events, engine, cutoff, last, batch)
                if not done["conversations"]:
                    break
                for key, n in done.items():
                    totals[key] += n
                totals["batches"] += 1
                if done["conversations"] < batch:
                    break
            if events is not None:
                totals["tracker_events"] += _sweep_tracker(events, engine, cutoff, batch)
    except Exception as exc:
        problem = type(exc).__name__
        raise
    finally:
        result = RetentionResult(cutoff, months, **totals)
        audit_log.record(actor, "retention", result.detail() + (f" stopped={problem}" if problem else ""),
                         address)
    return result


def _retention_batch(events: Optional[Table], engine: Engine, cutoff: datetime, last: int,
                     batch: int) -> Tuple[Dict[str, int], int]:
    """One batch of due conversations after id `last`, in one commit: what was done, and the last id."""
    conv = Conversation.__table__
    out = Outcome.__table__
    done = {"conversations": 0, "outcomes": 0, "comments": 0, "tracker_events": 0}
    with session_scope() as session:
        rows = session.execute(
            select(conv.c.id, conv.c.conversation_id, conv.c.comments.isnot(None).label("commented"))
            .where(*_due(cutoff), conv.c.id > last).order_by(conv.c.id).limit(batch)
        ).all()
        if not rows:
            return done, last
        pks = [int(row.id) for row in rows]
        cids = sorted({str(row.conversation_id) for row in rows})
        # A conversation id with another record still within retention keeps its chat until that one is due.
        kept = set(session.execute(select(conv.c.conversation_id).where(
            _in(conv.c.conversation_id, cids), conv.c.updated_at >= cutoff)).scalars())
        if events is not None:
            with engine.begin() as connection:
                gone = [cid for cid in cids if cid not in kept]
                done["tracker_events"] = tracker_events.delete_for(connection, events, gone)
        removed = session.execute(update(out).where(_in(out.c.conversation_pk, pks)).values(own_words=""))
        done["outcomes"] = int(removed.rowcount or 0)
        # A check-in's comment is the person's words too: it goes with the record it is an entry on.
        visits = Checkin.__table__
        emptied = session.execute(update(visits).values(comment=None)
                                  .where(_in(visits.c.outcomes_pk, pks), visits.c.comment.isnot(None)))
        # updated_at is set to itself: its onupdate would move the record into another report period.
        # The safe-contact answers are the person's words too (when, which number, what if missed).
        session.execute(update(conv).where(_in(conv.c.id, pks))
                        .values(comments=None, contact_when=None, contact_number=None, contact_if_missed=None,
                                words_removed_at=utcnow(), updated_at=conv.c.updated_at))
        done["conversations"] = len(pks)
        done["comments"] = sum(1 for row in rows if row.commented) + int(emptied.rowcount or 0)
    return done, pks[-1]


def _sweep_tracker(events: Table, engine: Engine, cutoff: datetime, batch: int) -> int:
    """Delete the tracker's conversations with no event since the cut-off and no record within retention.

    They are the chats that never made a record, or whose record went on an
    earlier run; a conversation id with a record still within retention keeps its events.
    """
    conv = Conversation.__table__
    with engine.connect() as connection:
        senders = tracker_events.idle_senders(connection, events, _epoch(cutoff))
    removed = 0
    for chunk in _chunks(senders, batch):
        with session_scope() as session:
            kept = set(session.execute(select(conv.c.conversation_id).where(
                _in(conv.c.conversation_id, chunk),
                or_(conv.c.updated_at >= cutoff, conv.c.words_removed_at.is_(None)))).scalars())
        with engine.begin() as connection:
            removed += tracker_events.delete_for(connection, events, [s for s in chunk if s not in kept])
    return removed
