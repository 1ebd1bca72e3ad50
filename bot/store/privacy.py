"""Privacy: erasing an enquiry or a conversation, and removing words after the retention period.

No Rasa and no Flask here: `msp erase`, `msp retention` and the workspace's
erase page call these.

- **Erasure** (`plan_erasure`, `erase`) removes everything stored about an
  enquiry (every conversation of it, both stages) or one conversation: the
  records (`conversations`, their `outcomes` and `corrections`), their
  `alerts` and `alert_attempts`, the `invitations`, and the Rasa tracker
  store's events for those conversation ids (a separate database,
  TRACKER_STORE_URL; its `events` table is read and written through
  bot/store/events.py, and a missing table is nothing to erase).
  One audit entry records who did it, with the reference, the conversation
  ids and counts, never content. The audit log keeps all its entries: they
  hold references, ids, actors and times only.
- **Retention** (`retention_due`, `apply_retention`) removes the person's
  words (`outcomes.own_words`, `conversations.comments`, the tracker events)
  of conversations whose last activity (`conversations.updated_at`) is older
  than RETENTION_MONTHS, and sets `conversations.words_removed_at`. Codes,
  answers, statuses, flags, dates and alerts stay, so the report's counts
  for past periods do not change (`updated_at` is left as it was). It works
  in batches, committing each, and running it again does nothing more.

The records database and the tracker store are two databases, so no single
transaction spans both. Tracker events go first: if the records part then
fails, running the same command again finds everything that is left.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from sqlalchemy import Table, and_, case, delete, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.store import audit as audit_log
from bot.store import events as tracker_events
from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import Alert, AlertAttempt, Conversation, Correction, Invitation, Mark, Outcome, utcnow

# Conversations per retention batch (one commit each).
DEFAULT_BATCH = 500


class ErasureRefused(ValueError):
    """The request names nothing, or both things, or would touch another enquiry."""


# --- the tracker store (its events table: bot/store/events.py) ------------------------------------


_chunks = tracker_events.chunks


def _tracker_url(tracker_store_url: Optional[str]) -> str:
    if tracker_store_url:
        return tracker_store_url
    from bot.settings import load_settings

    return load_settings().tracker_store_url


# --- erasure -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure removes (`plan_erasure`) or removed (`erase`): references, ids and counts only."""

    enquiry_ref: Optional[str]
    conversation_ids: Tuple[str, ...]
    conversations: int = 0
    outcomes: int = 0
    corrections: int = 0
    alerts: int = 0
    alert_attempts: int = 0
    invitations: int = 0
    tracker_events: int = 0

    @property
    def target(self) -> str:
        """`enquiry NR-2026-0042` or `conversation abc`: what was asked for, in words."""
        if self.enquiry_ref is not None:
            return f"enquiry {self.enquiry_ref}"
        return f"conversation {self.conversation_ids[0] if self.conversation_ids else '-'}"

    def counts(self) -> Dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)
                if f.name not in ("enquiry_ref", "conversation_ids")}

    @property
    def found(self) -> bool:
        """Anything at all is stored for it."""
        return any(self.counts().values())

    def lines(self) -> List[str]:
        """The counts in plain words, one per line, for a terminal or a page."""
        words = {
            "conversations": ("conversation record", "conversation records"),
            "outcomes": ("wish (with the person's own words)", "wishes (with the person's own words)"),
            "corrections": ("code correction", "code corrections"),
            "alerts": ("duty alert", "duty alerts"),
            "alert_attempts": ("alert delivery attempt", "alert delivery attempts"),
            "invitations": ("invitation", "invitations"),
            "tracker_events": ("transcript event (the chat, turn by turn)",
                               "transcript events (the chat, turn by turn)"),
        }
        return [f"{n} {words[name][0] if n == 1 else words[name][1]}" for name, n in self.counts().items()]

    def detail(self) -> str:
        """The audit entry's detail: the reference, the conversation ids and counts, never content."""
        head = (f"enquiry={self.enquiry_ref}" if self.enquiry_ref is not None
                else f"conversation={self.conversation_ids[0] if self.conversation_ids else '-'}")
        ids = ",".join(self.conversation_ids) or "-"
        counts = " ".join(f"{name}={n}" for name, n in self.counts().items())
        return f"{head} {counts} conversation_ids={ids}"


@dataclass(frozen=True)
class _Scope:
    enquiry_ref: Optional[str]
    conversation_ids: Tuple[str, ...]
    conversation_pks: Tuple[int, ...]
    alert_ids: Tuple[int, ...]
    invite_ids: Tuple[str, ...]


def _target(enquiry_ref: Optional[str],
            conversation_id: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    ref = (enquiry_ref or "").strip() or None
    cid = (conversation_id or "").strip() or None
    if (ref is None) == (cid is None):
        raise ErasureRefused("name an enquiry reference or a conversation id (one of them, not both)")
    return ref, cid


def _in(column: Any, values: Iterable[Any]) -> Any:
    return column.in_(list(values))


def _scope(session: Session, enquiry_ref: Optional[str], conversation_id: Optional[str]) -> _Scope:
    conv = Conversation.__table__
    ids: Set[str] = set()
    if enquiry_ref is not None:
        ids.update(session.execute(select(conv.c.conversation_id).where(conv.c.enquiry_ref == enquiry_ref))
                   .scalars())
        ids.update(cid for cid in session.execute(
            select(Invitation.conversation_id).where(Invitation.enquiry_ref == enquiry_ref)).scalars() if cid)
        ids.update(session.execute(select(Alert.conversation_id).where(Alert.enquiry_ref == enquiry_ref))
                   .scalars())
    else:
        assert conversation_id is not None
        ids.add(conversation_id)
    ordered = tuple(sorted(ids))
    pks: List[int] = []
    other_refs: Set[str] = set()
    for id_chunk in _chunks(ordered):
        query = select(conv.c.id, conv.c.enquiry_ref).where(_in(conv.c.conversation_id, id_chunk))
        for pk, ref in session.execute(query):
            pks.append(int(pk))
            if enquiry_ref is not None and ref and ref != enquiry_ref:
                other_refs.add(ref)
    if other_refs:
        # One conversation id holding records of two enquiries: its chat cannot be split between them.
        raise ErasureRefused(
            f"a conversation of enquiry {enquiry_ref} also holds a record of another enquiry; "
            "erase those conversations one by one (by conversation id) instead")
    alert_ids: Set[int] = set()
    for pk_chunk in _chunks(pks):
        found = session.execute(select(Alert.id).where(_in(Alert.conversation_pk, pk_chunk))).scalars()
        alert_ids.update(found)
    for chunk in _chunks(ordered):
        alert_ids.update(session.execute(select(Alert.id).where(_in(Alert.conversation_id, chunk))).scalars())
    invites: Set[str] = set()
    if enquiry_ref is not None:
        invites.update(session.execute(
            select(Invitation.invite_id).where(Invitation.enquiry_ref == enquiry_ref)).scalars())
    for chunk in _chunks(ordered):
        invites.update(session.execute(select(Invitation.invite_id)
                                       .where(_in(Invitation.conversation_id, chunk))).scalars())
    return _Scope(enquiry_ref, ordered, tuple(sorted(pks)), tuple(sorted(alert_ids)), tuple(sorted(invites)))


def _count(session: Session, column: Any, values: Sequence[Any]) -> int:
    total = 0
    for chunk in _chunks(values):
        total += int(session.execute(select(func.count()).where(_in(column, chunk))).scalar_one())
    return total


def _result(session: Session, scope: _Scope, tracker_events: int) -> ErasureResult:
    return ErasureResult(
        enquiry_ref=scope.enquiry_ref,
        conversation_ids=scope.conversation_ids,
        conversations=len(scope.conversation_pks),
        outcomes=_count(session, Outcome.conversation_pk, scope.conversation_pks),
        corrections=_count(session, Correction.conversation_pk, scope.conversation_pks),
        alerts=len(scope.alert_ids),
        alert_attempts=_count(session, AlertAttempt.alert_id, scope.alert_ids),
        invitations=len(scope.invite_ids),
        tracker_events=tracker_events,
    )


def plan_erasure(enquiry_ref: Optional[str] = None, conversation_id: Optional[str] = None,
                 tracker_store_url: Optional[str] = None) -> ErasureResult:
    """What `erase` with the same arguments would remove, in counts. Changes nothing."""
    ref, cid = _target(enquiry_ref, conversation_id)
    with session_scope() as session:
        scope = _scope(session, ref, cid)
        with tracker_events.opened(_tracker_url(tracker_store_url)) as (events, engine):
            found = 0
            if events is not None and scope.conversation_ids:
                with engine.connect() as connection:
                    found = tracker_events.count_for(connection, events, scope.conversation_ids)
        return _result(session, scope, found)


def _delete_in(session: Session, table: Table, column: Any, values: Sequence[Any]) -> int:
    removed = 0
    for chunk in _chunks(values):
        removed += int(session.execute(delete(table).where(_in(column, chunk))).rowcount or 0)
    return removed


def erase(enquiry_ref: Optional[str] = None, conversation_id: Optional[str] = None, *, actor: str,
          address: Optional[str] = None, tracker_store_url: Optional[str] = None) -> ErasureResult:
    """Remove everything stored about an enquiry (every conversation of it) or one conversation.

    Exactly one of `enquiry_ref` and `conversation_id`. Returns what was
    removed. One audit entry (action `erase`) records `actor` and `address`
    with the reference, the conversation ids and the counts, in the same
    transaction as the records' removal.
    """
    ref, cid = _target(enquiry_ref, conversation_id)
    with session_scope() as session:
        scope = _scope(session, ref, cid)
        # Lock the rows about to go (PostgreSQL): a writer at the same moment waits, then finds them gone.
        for chunk in _chunks(scope.conversation_pks):
            session.execute(select(Conversation.id).where(_in(Conversation.id, chunk)).with_for_update())
        counted = _result(session, scope, 0)
        # 1. The chat itself, in the tracker store (its own database, committed first: see the module's note).
        tracker_removed = 0
        with tracker_events.opened(_tracker_url(tracker_store_url)) as (events, engine):
            if events is not None and scope.conversation_ids:
                with engine.begin() as connection:
                    tracker_removed = tracker_events.delete_for(connection, events, scope.conversation_ids)
        # 2. The records, children first (the foreign keys would cascade; this does not depend on it).
        _delete_in(session, AlertAttempt.__table__, AlertAttempt.alert_id, scope.alert_ids)
        _delete_in(session, Alert.__table__, Alert.id, scope.alert_ids)
        _delete_in(session, Correction.__table__, Correction.conversation_pk, scope.conversation_pks)
        _delete_in(session, Mark.__table__, Mark.conversation_pk, scope.conversation_pks)
        _delete_in(session, Outcome.__table__, Outcome.conversation_pk, scope.conversation_pks)
        _delete_in(session, Conversation.__table__, Conversation.id, scope.conversation_pks)
        _delete_in(session, Invitation.__table__, Invitation.invite_id, scope.invite_ids)
        result = replace(counted, tracker_events=tracker_removed)
        add_audit(session, actor, "erase", result.detail(), address)
    return result


# --- retention -----------------------------------------------------------------------------------


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
        with tracker_events.opened(_tracker_url(tracker_store_url)) as (events, engine):
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
        # updated_at is set to itself: its onupdate would move the record into another report period.
        # The safe-contact answers are the person's words too (when, which number, what if missed).
        session.execute(update(conv).where(_in(conv.c.id, pks))
                        .values(comments=None, contact_when=None, contact_number=None, contact_if_missed=None,
                                words_removed_at=utcnow(), updated_at=conv.c.updated_at))
        done["conversations"] = len(pks)
        done["comments"] = sum(1 for row in rows if row.commented)
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


# --- subject access ------------------------------------------------------------------------------


def with_transcripts(records: Iterable[Dict[str, Any]],
                     tracker_store_url: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Each record with a `transcript` key: its chat, turn by turn (at, speaker, text, buttons, question).

    For a subject access request (`msp export --enquiry REF --with-transcript`).
    Both stages of one conversation id share its transcript; it is read once.
    """
    from bot.store.transcripts import read_transcript

    url = _tracker_url(tracker_store_url)
    read: Dict[str, List[Dict[str, Any]]] = {}
    for record in records:
        cid = str(record["conversation_id"])
        if cid not in read:
            read[cid] = [{"at": turn.iso, "speaker": turn.speaker, "text": turn.text,
                          "buttons": list(turn.buttons), "question": turn.question}
                         for turn in read_transcript(url, cid)]
        yield {**record, "transcript": read[cid]}
