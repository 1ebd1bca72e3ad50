"""Privacy: erasing an enquiry or a conversation, and a subject access's transcripts.

No Rasa and no Flask here: `msp erase`, `msp export --with-transcript` and
the workspace's erase page call these.

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
- **Retention** (removing the words after RETENTION_MONTHS) is in `retention.py`.

The records database and the tracker store are two databases, so no single
transaction spans both. Tracker events go first: if the records part then
fails, running the same command again finds everything that is left.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from bot.store import events as tracker_events
from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import (
    Alert,
    AlertAttempt,
    Checkin,
    Conversation,
    Correction,
    Invitation,
    Mark,
    Outcome,
    RecordPush,
)


class ErasureRefused(ValueError):
    """The request names nothing, or both things, or would touch another enquiry."""


# --- the tracker store (its events table: bot/store/events.py) ------------------------------------


_chunks = tracker_events.chunks


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
        with tracker_events.opened(tracker_events.tracker_url(tracker_store_url)) as (events, engine):
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
        with tracker_events.opened(tracker_events.tracker_url(tracker_store_url)) as (events, engine):
            if events is not None and scope.conversation_ids:
                with engine.begin() as connection:
                    tracker_removed = tracker_events.delete_for(connection, events, scope.conversation_ids)
        # 2. The records, children first (the foreign keys would cascade; this does not depend on it).
        _delete_in(session, AlertAttempt.__table__, AlertAttempt.alert_id, scope.alert_ids)
        _delete_in(session, Alert.__table__, Alert.id, scope.alert_ids)
        _delete_in(session, Correction.__table__, Correction.conversation_pk, scope.conversation_pks)
        _delete_in(session, Mark.__table__, Mark.conversation_pk, scope.conversation_pks)
        _delete_in(session, RecordPush.__table__, RecordPush.conversation_pk, scope.conversation_pks)
        _delete_in(session, Outcome.__table__, Outcome.conversation_pk, scope.conversation_pks)
        # A check-in's entry goes with the record it is on, and with the check-in that made it.
        _delete_in(session, Checkin.__table__, Checkin.outcomes_pk, scope.conversation_pks)
        _delete_in(session, Checkin.__table__, Checkin.conversation_id, scope.conversation_ids)
        _delete_in(session, Conversation.__table__, Conversation.id, scope.conversation_pks)
        _delete_in(session, Invitation.__table__, Invitation.invite_id, scope.invite_ids)
        result = replace(counted, tracker_events=tracker_removed)
        add_audit(session, actor, "erase", result.detail(), address)
    return result


# --- subject access ------------------------------------------------------------------------------


def with_transcripts(records: Iterable[Dict[str, Any]],
                     tracker_store_url: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Each record with a `transcript` key: its chat, turn by turn (at, speaker, text, buttons, question).

    For a subject access request (`msp export --enquiry REF --with-transcript`).
    Both stages of one conversation id share its transcript; it is read once.
    """
    from bot.store.transcripts import read_transcript

    url = tracker_events.tracker_url(tracker_store_url)
    read: Dict[str, List[Dict[str, Any]]] = {}
    for record in records:
        cid = str(record["conversation_id"])
        if cid not in read:
            read[cid] = [{"at": turn.iso, "speaker": turn.speaker, "text": turn.text,
                          "buttons": list(turn.buttons), "question": turn.question}
                         for turn in read_transcript(url, cid)]
        yield {**record, "transcript": read[cid]}
