"""What the practitioners' workspace reads and changes: the list, a conversation, a code correction, alerts.

No Flask here: the web views call these and render. Each call is one unit
of work. The list is built to stay quick at 100,000 enquiries: every filter
and the order are served by an index (migration 0005), a page is a LIMIT,
and the count is an exact COUNT(*) over the same indexed filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.store import alerts as alert_store
from bot.store.db import session_scope
from bot.store.export import contracts
from bot.store.models import Conversation, Correction, Outcome, utcnow
from bot.store.records import add_audit

STATUSES = (c.STATUS_IN_PROGRESS, c.STATUS_COMPLETED, c.STATUS_PAUSED, c.STATUS_DECLINED)
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class EnquiryRow:
    """One conversation record in the list: ids, stage, status, flags, last activity. Never words."""

    enquiry_ref: Optional[str]
    conversation_id: str
    stage: str
    status: str
    flags: Dict[str, bool]
    last_activity: datetime


@dataclass(frozen=True)
class EnquiryPage:
    items: List[EnquiryRow]
    total: int
    page: int
    pages: int
    per_page: int


@dataclass(frozen=True)
class OpenAlert:
    """An alert nobody has acknowledged yet, and how long it has waited."""

    id: int
    enquiry_ref: Optional[str]
    conversation_id: str
    stage: str
    kind: str
    delivery: str
    raised_at: datetime
    waited_s: int


def _ascii_lower(text: str) -> str:
    """Lower case as SQLite's lower() does it: ASCII letters only."""
    return "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in text)


def _ref_prefix(session: Session, search: str) -> ColumnElement:
    """A case-blind prefix match on the enquiry reference that an index serves (migration 0005)."""
    ref = func.lower(Conversation.enquiry_ref)
    if session.get_bind().dialect.name == "postgresql":
        # The index is lower(enquiry_ref) text_pattern_ops: a LIKE with a fixed prefix uses it.
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return ref.like(escaped + "%")
    # SQLite: a range on the lower(enquiry_ref) index; all strings starting with the prefix
    # sort between the prefix and the prefix with its last character moved on by one.
    low = _ascii_lower(search)
    stem = low.rstrip(chr(0x10FFFF))  # the last code point has no next one: shorten the bound
    if not stem:
        return ref >= low
    return (ref >= low) & (ref < stem[:-1] + chr(ord(stem[-1]) + 1))


def list_enquiries(
    search: Optional[str] = None,
    status: Optional[str] = None,
    flag: Optional[str] = None,
    page: int = 1,
    per_page: int = 25,
) -> EnquiryPage:
    """Conversation records, the latest activity first, 25 to a page.

    `search`: the start of an enquiry reference, any case ("nr-2026" finds
    NR-2026-0042). `status`: one of the four statuses. `flag`: one of the
    three flags, raised. A page past the last gives the last page.
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"not a status: {status}")
    if flag is not None and flag not in c.FLAGS:
        raise ValueError(f"not a flag: {flag}")
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    search = (search or "").strip()
    with session_scope() as session:
        where: List[ColumnElement] = []
        if search:
            where.append(_ref_prefix(session, search))
        if status:
            where.append(Conversation.status == status)
        if flag:
            where.append(getattr(Conversation, flag).is_(True))
        total = int(session.execute(
            select(func.count()).select_from(Conversation).where(*where)
        ).scalar_one())
        pages = max(1, math.ceil(total / per_page))
        page = max(1, min(int(page), pages))
        columns = [Conversation.enquiry_ref, Conversation.conversation_id, Conversation.stage,
                   Conversation.status, Conversation.updated_at, *(getattr(Conversation, f) for f in c.FLAGS)]
        rows = session.execute(
            select(*columns)
            .where(*where)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        items = [
            EnquiryRow(
                enquiry_ref=row.enquiry_ref,
                conversation_id=row.conversation_id,
                stage=row.stage,
                status=row.status,
                flags={f: bool(getattr(row, f)) for f in c.FLAGS},
                last_activity=row.updated_at,
            )
            for row in rows
        ]
    return EnquiryPage(items=items, total=total, page=page, pages=pages, per_page=per_page)


def conversation_records(conversation_id: str) -> List[Dict[str, Any]]:
    """The conversation's records (contract v2), the outcomes stage first, then the review."""
    with session_scope() as session:
        rows = list(session.execute(
            select(Conversation).where(Conversation.conversation_id == conversation_id)
        ).scalars())
        rows.sort(key=lambda row: (c.STAGES.index(row.stage) if row.stage in c.STAGES else len(c.STAGES),
                                   row.stage))
        return contracts(session, rows)


def correct_code(
    conversation_id: str,
    stage: str,
    outcome_index: int,
    to_code: str,
    by: str,
    address: Optional[str] = None,
) -> Dict[str, Any]:
    """A practitioner puts a wish under another code; returns the record (contract v2) as it now is.

    The person's words never change, and both codes are kept (`corrections`).
    The correction, the new code and the audit entry are one transaction.
    Reports count the wish under its new code. The record's `updated_at` is
    left alone: a correction is not the person's activity, and must not move
    the record into another reporting period.

    Raises ValueError for an unknown stage, code, conversation or index, or
    when the record already holds a wish with that code (each code appears
    once per record; the person's words of both wishes are kept apart).
    Correcting to the code it already has changes nothing.
    """
    if stage not in c.STAGES:
        raise ValueError(f"not a stage: {stage}")
    if to_code not in c.OUTCOME_CODES:
        raise ValueError(f"not an outcome code: {to_code}")
    if not by:
        raise ValueError("a correction needs the name of who made it")
    with session_scope() as session:
        conversation = session.execute(
            select(Conversation)
            .where(Conversation.conversation_id == conversation_id, Conversation.stage == stage)
            .with_for_update()
        ).scalar_one_or_none()
        if conversation is None:
            raise ValueError(f"no {stage} record for conversation {conversation_id}")
        outcomes = list(session.execute(
            select(Outcome)
            .where(Outcome.conversation_pk == conversation.id)
            .order_by(Outcome.position, Outcome.id)
            .with_for_update()
        ).scalars())
        if isinstance(outcome_index, bool) or not 0 <= outcome_index < len(outcomes):
            raise ValueError(f"no wish {outcome_index} in this record (it has {len(outcomes)})")
        outcome = outcomes[outcome_index]
        if outcome.code != to_code:
            if any(other.code == to_code for other in outcomes):
                raise ValueError(f"this record already has a wish coded {to_code}")
            from_code = outcome.code
            outcome.code = to_code
            outcome.may_not_be_achievable = to_code in c.MAY_NOT_BE_ACHIEVABLE
            session.add(Correction(
                outcome_pk=outcome.id, conversation_pk=conversation.id, outcome_index=outcome_index,
                from_code=from_code, to_code=to_code, by=by, at=utcnow(),
            ))
            add_audit(
                session, by, "correct",
                f"conversation={conversation_id} stage={stage} outcome={outcome_index} "
                f"from={from_code} to={to_code}",
                address,
            )
            session.flush()
        return contracts(session, [conversation])[0]


def open_alerts(limit: int = 100) -> List[OpenAlert]:
    """Alerts not yet acknowledged, the longest waiting first, with how long each has waited.

    With more than `limit` open, the newest `limit` are shown (see
    `alerts.list_alerts`): a cut must never hide the alert raised a minute ago.
    """
    now = utcnow()
    return [
        OpenAlert(
            id=alert.id,
            enquiry_ref=alert.enquiry_ref,
            conversation_id=alert.conversation_id,
            stage=alert.stage,
            kind=alert.kind,
            delivery=alert.delivery,
            raised_at=alert.raised_at,
            waited_s=max(0, int((now - alert.raised_at).total_seconds())),
        )
        for alert in alert_store.list_alerts(open_only=True, limit=limit)
    ]
