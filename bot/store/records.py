"""Reading and writing the record, one unit of work per call.

Every answer is written the moment it is given, keyed by conversation id and
stage, so calling any of these twice leaves the same record (a retried action
or a crash loses nothing and duplicates nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import constants as c
from bot.store import alerts as alert_store
from bot.store import audit as audit_log
from bot.store.db import session_scope
from bot.store.export import contracts, iter_records
from bot.store.models import AuditEvent, Conversation, Outcome, utcnow

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


@dataclass(frozen=True)
class OutcomeView:
    code: str
    own_words: str
    may_not_be_achievable: bool
    achieved: Optional[str]


@dataclass(frozen=True)
class StartResult:
    created: bool
    previous_status: Optional[str]
    status: str


def _get(session: Session, conversation_id: str, stage: str) -> Optional[Conversation]:
    return session.execute(
        select(Conversation)
        .where(Conversation.conversation_id == conversation_id, Conversation.stage == stage)
        .options(selectinload(Conversation.outcomes))
    ).scalar_one_or_none()


def _get_or_create(session: Session, conversation_id: str, stage: str) -> Conversation:
    conversation = _get(session, conversation_id, stage)
    if conversation is None:
        conversation = Conversation(
            conversation_id=conversation_id, stage=stage, status=c.STATUS_IN_PROGRESS
        )
        session.add(conversation)
        session.flush()
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
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        conversation.status = status
        _touch(conversation)


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
    """
    if flag not in c.FLAGS:
        raise ValueError(f"not a flag: {flag}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        setattr(conversation, flag, True)
        _touch(conversation)
        if flag not in c.ALERT_KINDS:
            return None
        # Lock the conversation row (PostgreSQL; SQLite serialises writers anyway) so that two
        # writers at once, say the action server and the sender storing a spooled flag, cannot
        # both see "no open alert" and write two first alerts.
        session.execute(
            select(Conversation.id).where(Conversation.id == conversation.id).with_for_update()
        )
        first = alert_store.open_first(session, conversation.id, flag)
        if first is not None:
            return alert_store.write_follow_up(
                session, first, c.ALERT_REASON_AGAIN, channels, raised_at=raised_at, message_id=message_id)
        alert = alert_store.new_alert(conversation, flag, channels, raised_at, message_id)
        session.add(alert)
        session.flush()
        return int(alert.id)


def add_outcomes(
    conversation_id: str, stage: str, wishes: Iterable[Tuple[str, str]]
) -> List[str]:
    """Record wishes as (code, own words); returns the codes that were new.

    A code already recorded keeps its row and gains the new words, so the
    person's words are never thrown away.
    """
    added: List[str] = []
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        by_code = {o.code: o for o in conversation.outcomes}
        for code, own_words in wishes:
            if code not in c.OUTCOME_CODES:
                raise ValueError(f"not an outcome code: {code}")
            words = own_words.strip()
            if code in by_code:
                row = by_code[code]
                if words and words.lower() not in row.own_words.lower():
                    row.own_words = f"{row.own_words}; {words}"
                continue
            row = Outcome(
                code=code,
                own_words=words,
                may_not_be_achievable=code in c.MAY_NOT_BE_ACHIEVABLE,
                position=len(conversation.outcomes),
            )
            conversation.outcomes.append(row)
            by_code[code] = row
            added.append(code)
        if conversation.outcomes:
            conversation.asked_about_outcomes = c.ASKED_EXPRESSED
        _touch(conversation)
    return added


def remove_outcomes(conversation_id: str, stage: str, codes: Iterable[str]) -> List[str]:
    """Take wishes off the list (the person changed their mind)."""
    wanted = set(codes)
    removed: List[str] = []
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        for row in list(conversation.outcomes):
            if row.code in wanted:
                conversation.outcomes.remove(row)
                removed.append(row.code)
        for position, row in enumerate(conversation.outcomes):
            row.position = position
        conversation.asked_about_outcomes = (
            c.ASKED_EXPRESSED if conversation.outcomes else c.ASKED_NONE_EXPRESSED
        )
        _touch(conversation)
    return removed


def mark_none_expressed(conversation_id: str, stage: str) -> None:
    """Asked, and the person had no wish to give: a valid answer (SG4a)."""
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        if not conversation.outcomes:
            conversation.asked_about_outcomes = c.ASKED_NONE_EXPRESSED
        _touch(conversation)


def list_outcomes(conversation_id: str, stage: str) -> List[OutcomeView]:
    with session_scope() as session:
        conversation = _get(session, conversation_id, stage)
        if conversation is None:
            return []
        return [_view(o) for o in conversation.outcomes]


def _view(row: Outcome) -> OutcomeView:
    return OutcomeView(
        code=row.code,
        own_words=row.own_words,
        may_not_be_achievable=row.may_not_be_achievable,
        achieved=row.achieved,
    )


def set_achieved(conversation_id: str, stage: str, code: str, achieved: str) -> None:
    if achieved not in c.ANSWER_KINDS["achieved"]:
        raise ValueError(f"not an achieved answer: {achieved}")
    with session_scope() as session:
        conversation = _get_or_create(session, conversation_id, stage)
        for row in conversation.outcomes:
            if row.code == code:
                row.achieved = achieved
        _touch(conversation)


def enquiry_outcomes(enquiry_ref: str) -> List[OutcomeView]:
    """The wishes of an enquiry's newest confirmed outcomes conversation."""
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
        return [_view(o) for o in conversation.outcomes]


def copy_outcomes_for_review(conversation_id: str, enquiry_ref: Optional[str]) -> int:
    """Bring the enquiry's wishes into a review record, once; returns how many it holds."""
    if enquiry_ref:
        earlier = enquiry_outcomes(enquiry_ref)
        existing = list_outcomes(conversation_id, c.STAGE_REVIEW)
        if earlier and not existing:
            add_outcomes(conversation_id, c.STAGE_REVIEW, [(o.code, o.own_words) for o in earlier])
    return len(list_outcomes(conversation_id, c.STAGE_REVIEW))


def add_audit(
    session: Session, actor: str, action: str, detail: str, address: Optional[str] = None
) -> None:
    """An audit entry inside the caller's transaction: it stands or falls with what it records.

    Cut to the columns' widths as `audit.record` cuts them, so an audit never fails on length.
    """
    session.add(
        AuditEvent(
            actor=(actor or "-")[: audit_log.ACTOR_MAX],
            action=action[: audit_log.ACTION_MAX],
            detail=detail[: audit_log.DETAIL_MAX] if detail else detail,
            address=address[: audit_log.ADDRESS_MAX] if address else None,
        )
    )


def record_audit(actor: str, action: str, detail: str, *, address: Optional[str] = None) -> None:
    """Who did what, and from where (an IP address, for the workspace). Never a person's words."""
    audit_log.record(actor, action, detail, address=address)


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
