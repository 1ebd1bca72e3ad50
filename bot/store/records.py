"""Reading and writing the record, one unit of work per call (or per turn, inside `one_transaction`).

Every answer is written as it is given, keyed by conversation id and stage,
so calling any of these twice leaves the same record (a retried action or a
crash loses nothing and duplicates nothing). Inside a turn the calls share one
session: the conversation row is read once, and everything commits together. A mark's row is written by
`marks.py`, an audit entry by `audit.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import constants as c
from bot.store import alerts as alert_store
from bot.store import pushes
from bot.store.db import commit_now, one_transaction, save_turn, session_scope  # noqa: F401
from bot.store.export import contracts, iter_records
from bot.store.marks import MarkSpec, add_mark_in
from bot.store.models import Conversation, Outcome, utcnow

# Columns an answer may be written to, so a slot name can never reach SQL unchecked.
ANSWER_COLUMNS = frozenset(
    {
        c.CONSENT_TO_TALK,
        c.SPEAKER_ROLE,
        c.FEELS_SAFE_NOW,
        c.WANTS_ADVOCATE,
        *c.FEEDBACK_QUESTIONS,
        "comments",
        "asked_about_outcomes",
        "confirmed",
        "enquiry_ref",
    }
)


READ_KEY = "msp_records_read"  # session.info: the records this session has read, by (conversation id, stage)


@dataclass(frozen=True)
class OutcomeView:
    code: str
    own_words: str
    may_not_be_achievable: bool
    achieved: Optional[str]
    id: int = 0
    chosen: bool = False  # picked with a button: no own words
    visit: Optional[str] = None  # the browser visit that wrote it (its words are read back only there)
    added_in: Optional[str] = None  # the conversation that stated it (the first conversation, or a check-in)


@dataclass(frozen=True)
class StartResult:
    created: bool
    previous_status: Optional[str]
    status: str


def _get(session: Session, conversation_id: str, stage: str) -> Optional[Conversation]:
    """The record, read once per session (a turn's calls share it; a rollback forgets it)."""
    read: Dict[Tuple[str, str], Conversation] = session.info.setdefault(READ_KEY, {})
    if (conversation_id, stage) not in read:
        found = session.execute(
            select(Conversation)
            .where(Conversation.conversation_id == conversation_id, Conversation.stage == stage)
            .options(selectinload(Conversation.outcomes))
        ).scalar_one_or_none()
        if found is None:
            return None
        read[(conversation_id, stage)] = found
    return read[(conversation_id, stage)]


def _get_or_create(session: Session, conversation_id: str, stage: str) -> Conversation:
    conversation = _get(session, conversation_id, stage)
    if conversation is None:
        conversation = Conversation(
            conversation_id=conversation_id, stage=stage, status=c.STATUS_IN_PROGRESS
        )
        session.add(conversation)
        session.flush()
        session.info.setdefault(READ_KEY, {})[(conversation_id, stage)] = conversation
    return conversation


def _touch(conversation: Conversation) -> None:
    conversation.updated_at = utcnow()


def start_conversation(
    conversation_id: str,
    stage: str,
    enquiry_ref: Optional[str] = None,
    speaker_role: Optional[str] = None,
) -> StartResult:
    """Open or resume a record. A paused one goes back to in progress."""
    with session_scope() as session:
        existing = _get(session, conversation_id, stage)
        created = existing is None
        conversation = existing or _get_or_create(session, conversation_id, stage)
        previous = None if created else conversation.status
        if enquiry_ref:
            conversation.enquiry_ref = enquiry_ref
        if speaker_role in c.ROLES:
            conversation.speaker_role = speaker_role
        if conversation.status == c.STATUS_PAUSED:
            conversation.status = c.STATUS_IN_PROGRESS
        _touch(conversation)
        return StartResult(created=created, previous_status=previous, status=conversation.status)


def save_answer(conversation_id: str, stage: str, field: str, value: Any) -> None:
    """Write one answer to its column."""
    if field not in ANSWER_COLUMNS:
        raise ValueError(f"not an answer column: {field}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        setattr(conversation, field, value)
        _touch(conversation)


def set_status(conversation_id: str, stage: str, status: str) -> None:
    """The record's status. Finishing it queues a push to the case system in the same transaction."""
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        finished = status == c.STATUS_COMPLETED and conversation.status != c.STATUS_COMPLETED
        conversation.status = status
        _touch(conversation)
        if finished:
            pushes.queue_push(session, conversation, c.PUSH_REASON_COMPLETED)


def get_status(conversation_id: str, stage: str) -> Optional[str]:
    with session_scope() as session:
        conversation = _get(session, conversation_id, stage)
        return conversation.status if conversation else None


def set_flag(
    conversation_id: str,
    stage: str,
    flag: str,
    channels: Sequence[str] = (),
    raised_at: Optional[datetime] = None,
    message_id: Optional[str] = None,
    mark: Optional[MarkSpec] = None,
    answers: Optional[Dict[str, str]] = None,
) -> Optional[int]:
    """Raise a flag for the practitioner. Flags are never lowered by the assistant.

    An urgent flag (danger, or asking for a person) also writes a duty alert in
    the same transaction, so there is never a flag without its alert, nor an
    alert without its flag. While a first alert of that kind is open
    (unacknowledged, not failed), each new message writes a follow-up linked
    to it (reason `again`), so every message reaches the duty team. Returns
    the id of the alert written for this message, or None when the flag
    raises no alert. `channels`: the configured duty channels; with none, the
    alert is stored as `no_channel`. `message_id`: the message that raised it.
    `mark`: why the message was read as danger, and `answers`: closed answers the
    message gave ("are you safe?": no), written in the same transaction (one write
    for the person's turn, never a second wait on a busy database).
    """
    if flag not in c.FLAGS:
        raise ValueError(f"not a flag: {flag}")
    for field in answers or {}:
        if field not in ANSWER_COLUMNS:
            raise ValueError(f"not an answer column: {field}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        for field, value in (answers or {}).items():
            setattr(conversation, field, value)
        setattr(conversation, flag, True)
        _touch(conversation)
        if mark is not None:
            add_mark_in(session, conversation, mark, message_id)
        alert_id = None
        if flag in c.ALERT_KINDS:
            alert_id = alert_store.raise_alert(session, conversation, flag, channels, raised_at, message_id)
        commit_now(session)  # in a turn too: "I am sending an urgent message" is said only once this is true
        return alert_id


def add_outcomes(
    conversation_id: str,
    stage: str,
    wishes: Iterable[Tuple[str, str]],
    visit: Optional[str] = None,
    chosen: bool = False,
    added_in: Optional[str] = None,
) -> List[str]:
    """Record wishes as (code, own words), each a wish of its own; returns the codes of those added.

    Two wishes may share a code: each keeps its own words. The same words for
    the same code again (a retried action) add nothing, so a retry never
    duplicates. `chosen`: picked with an answer button, so there are no own
    words; one such choice per code. `visit`: the browser visit that wrote them.
    `added_in`: the conversation that stated them (a check-in adding to the
    enquiry's record); by default this record's own conversation.
    """
    added: List[str] = []
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        standing = [o for o in conversation.outcomes if o.withdrawn_at is None]
        for code, own_words in wishes:
            if code not in c.OUTCOME_CODES:
                raise ValueError(f"not an outcome code: {code}")
            words = "" if chosen else own_words.strip()
            if any(o.code == code and (o.own_words or "").strip().lower() == words.lower() for o in standing):
                continue
            row = Outcome(
                code=code,
                own_words=words,
                may_not_be_achievable=code in c.MAY_NOT_BE_ACHIEVABLE,
                position=len(conversation.outcomes),
                chosen=chosen,
                visit=visit,
                added_in=added_in or conversation_id,
            )
            conversation.outcomes.append(row)
            standing.append(row)
            added.append(code)
        if standing:
            conversation.asked_about_outcomes = c.ASKED_EXPRESSED
        _touch(conversation)
    return added


def withdraw_outcomes(
    conversation_id: str,
    stage: str,
    codes: Optional[Iterable[str]] = None,
    ids: Optional[Iterable[int]] = None,
    withdrawn_in: Optional[str] = None,
    reason: str = c.WITHDRAWN_BY_PERSON,
) -> List[str]:
    """Take standing wishes off the list (by code, by id, or all when neither is given): never deleted.

    Each is marked withdrawn, with when, the conversation that took it away
    and why. Returns the codes withdrawn.
    """
    wanted_codes = set(codes) if codes is not None else None
    wanted_ids = set(ids) if ids is not None else None
    withdrawn: List[str] = []
    now = utcnow()
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        for row in conversation.outcomes:
            if row.withdrawn_at is not None:
                continue
            everything = wanted_codes is None and wanted_ids is None
            by_code = bool(wanted_codes) and row.code in (wanted_codes or ())
            if everything or by_code or (bool(wanted_ids) and row.id in (wanted_ids or ())):
                row.withdrawn_at = now
                row.withdrawn_in = withdrawn_in or conversation_id
                row.withdrawn_reason = reason
                withdrawn.append(row.code)
        standing = any(o.withdrawn_at is None for o in conversation.outcomes)
        conversation.asked_about_outcomes = c.ASKED_EXPRESSED if standing else c.ASKED_NONE_EXPRESSED
        _touch(conversation)
    return withdrawn


def remove_outcomes(conversation_id: str, stage: str, codes: Iterable[str]) -> List[str]:
    """The person changed their mind: those wishes are withdrawn (kept, marked), not deleted."""
    return withdraw_outcomes(conversation_id, stage, codes=list(codes))


def mark_none_expressed(conversation_id: str, stage: str) -> None:
    """Asked, and the person had no wish to give: a valid answer (SG4a)."""
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        if not any(o.withdrawn_at is None for o in conversation.outcomes):
            conversation.asked_about_outcomes = c.ASKED_NONE_EXPRESSED
        _touch(conversation)


def list_outcomes(conversation_id: str, stage: str) -> List[OutcomeView]:
    """The wishes that stand, in the order given."""
    with session_scope() as session:
        conversation = _get(session, conversation_id, stage)
        if conversation is None:
            return []
        return [_view(o) for o in conversation.outcomes if o.withdrawn_at is None]


def _view(row: Outcome) -> OutcomeView:
    return OutcomeView(
        code=row.code,
        own_words=row.own_words,
        may_not_be_achievable=row.may_not_be_achievable,
        achieved=row.achieved,
        id=row.id,
        chosen=bool(row.chosen),
        visit=row.visit,
        added_in=row.added_in,
    )


def set_achieved(
    conversation_id: str, stage: str, code: str, achieved: str, outcome_id: Optional[int] = None
) -> None:
    """Whether a wish happened: the one with `outcome_id`, or every standing wish with `code`."""
    if achieved not in c.ANSWER_KINDS["achieved"]:
        raise ValueError(f"not an achieved answer: {achieved}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        for row in conversation.outcomes:
            if row.withdrawn_at is not None:
                continue
            if (outcome_id is not None and row.id == outcome_id) or (outcome_id is None and row.code == code):
                row.achieved = achieved
        _touch(conversation)


def enquiry_outcomes(enquiry_ref: str) -> List[OutcomeView]:
    """The standing wishes of an enquiry's newest confirmed outcomes conversation."""
    with session_scope() as session:
        conversation = session.execute(
            select(Conversation)
            .where(
                Conversation.enquiry_ref == enquiry_ref,
                Conversation.stage == c.STAGE_OUTCOMES,
                Conversation.confirmed.is_(True),
            )
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .options(selectinload(Conversation.outcomes))
            .limit(1)
        ).scalar_one_or_none()
        if conversation is None:
            return []
        return [_view(o) for o in conversation.outcomes if o.withdrawn_at is None]


def copy_outcomes_for_review(conversation_id: str, enquiry_ref: Optional[str]) -> int:
    """Bring the enquiry's standing wishes into a review record, once; returns how many it holds."""
    if enquiry_ref:
        earlier = enquiry_outcomes(enquiry_ref)
        existing = list_outcomes(conversation_id, c.STAGE_REVIEW)
        if earlier and not existing:
            for outcome in earlier:
                add_outcomes(conversation_id, c.STAGE_REVIEW, [(outcome.code, outcome.own_words)],
                             chosen=outcome.chosen, added_in=outcome.added_in)
    return len(list_outcomes(conversation_id, c.STAGE_REVIEW))


def save_contact_answer(conversation_id: str, stage: str, question: str, value: Optional[str]) -> None:
    """One safe-contact answer (a code, or the person's words, encrypted at rest)."""
    if question not in c.CONTACT_QUESTIONS:
        raise ValueError(f"not a safe-contact question: {question}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        setattr(conversation, question, value)
        conversation.contact_answered_at = utcnow()
        _touch(conversation)


def add_mark(
    conversation_id: str,
    stage: str,
    tier: str,
    kind: str,
    reader_version: str,
    reason: Optional[str] = None,
    message_id: Optional[str] = None,
) -> None:
    """A message the danger reader marked, and why (never its words). One per message and tier."""
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        add_mark_in(session, conversation, MarkSpec(tier, kind, reader_version, reason), message_id)
        _touch(conversation)


def export_records(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
) -> List[Dict[str, Any]]:
    """Every record, newest first, as contract (v2) dictionaries, in one list.

    For small sets and tests: `bot.store.export` streams them in batches.
    """
    return list(iter_records(enquiry_ref=enquiry_ref, since=since, until=until))


def get_record(conversation_id: str, stage: str) -> Optional[Dict[str, Any]]:
    with session_scope() as session:
        conversation = _get(session, conversation_id, stage)
        return contracts(session, [conversation])[0] if conversation else None
