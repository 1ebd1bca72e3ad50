"""What the practitioners' workspace reads: the list of enquiries, and a conversation as its page shows it.

Corrections are in `corrections.py`; the open alerts and the messages marked
"worth a look" in `attention.py`.

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
from bot.store.db import session_scope
from bot.store.export import contracts
from bot.store.models import Alert, Conversation, Correction, Mark, Outcome

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


# --- a conversation, as its page shows it ---------------------------------------------------


@dataclass(frozen=True)
class WishView:
    """One wish as the record holds it, standing or taken away (never deleted).

    `index` is its place among all the record's wishes, taken away or not: the
    number a correction names, so it never moves.
    """

    index: int
    code: str
    own_words: str
    chosen: bool
    may_not_be_achievable: bool
    achieved: Optional[str]
    withdrawn_at: Optional[datetime]
    withdrawn_in: Optional[str]
    withdrawn_reason: Optional[str]
    set_aside_by: Optional[str]  # the practitioner who set it aside as not a wish

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True)
class CorrectionView:
    outcome_index: int
    from_code: str
    to_code: str  # an outcome code, or NOT_A_WISH
    by: str
    at: datetime


@dataclass(frozen=True)
class AlertLine:
    """An alert of this record: ids, kind, reason and times. Never words."""

    id: int
    stage: str
    kind: str
    reason: str
    route: str
    raised_at: datetime
    delivery: str
    acknowledged_by: Optional[str]
    acknowledged_at: Optional[datetime]
    escalated_at: Optional[datetime]
    follows_alert_id: Optional[int]
    message_id: Optional[str]


@dataclass(frozen=True)
class MarkView:
    """A message the danger reader marked, and why (the words are in the transcript, found by id)."""

    at: datetime
    tier: str
    kind: str
    reason: Optional[str]
    message_id: Optional[str]
    id: int = 0
    reader_version: str = ""
    read_by: Optional[str] = None
    read_at: Optional[datetime] = None


@dataclass(frozen=True)
class SafeContact:
    """The person's safe-contact answers: when, how and whether the team may call them back."""

    stage: str
    safe_to_call: Optional[str]
    when: Optional[str]
    number: Optional[str]
    others_answer: Optional[str]
    if_missed: Optional[str]
    answered_at: Optional[datetime]


@dataclass(frozen=True)
class RecordPage:
    """One record (a stage) of a conversation: the contract, and what the workspace shows beside it."""

    record: Dict[str, Any]
    wishes: List[WishView]
    corrections: List[CorrectionView]
    alerts: List[AlertLine]
    marks: List[MarkView]
    safe_contact: Optional[SafeContact]

    @property
    def standing_wishes(self) -> List[WishView]:
        return [w for w in self.wishes if w.standing]

    @property
    def withdrawn_wishes(self) -> List[WishView]:
        return [w for w in self.wishes if not w.standing]

    @property
    def danger_at(self) -> Optional[datetime]:
        """When danger first showed: the first clear mark, or else the first urgent alert."""
        moments = [m.at for m in self.marks if m.tier == c.MARK_CLEAR]
        moments += [a.raised_at for a in self.alerts if a.kind == c.FLAG_URGENT_SAFETY]
        return min(moments) if moments else None

    @property
    def danger_message_id(self) -> Optional[str]:
        """The first message that showed danger (a clear mark's, else the first urgent alert's)."""
        for mark in sorted(self.marks, key=lambda m: m.at):
            if mark.tier == c.MARK_CLEAR and mark.message_id:
                return mark.message_id
        for alert in self.alerts:
            if alert.kind == c.FLAG_URGENT_SAFETY and alert.message_id:
                return alert.message_id
        return None


def _has_safe_contact(row: Any) -> bool:
    return any(getattr(row, name) is not None for name in (*c.CONTACT_QUESTIONS, "contact_answered_at"))


def _safe_contact(row: Conversation) -> Optional[SafeContact]:
    if not _has_safe_contact(row):
        return None
    return SafeContact(stage=row.stage, safe_to_call=row.contact_safe_to_call, when=row.contact_when,
                       number=row.contact_number, others_answer=row.contact_others_answer,
                       if_missed=row.contact_if_missed, answered_at=row.contact_answered_at)


def _alert_line(row: Alert) -> AlertLine:
    return AlertLine(id=row.id, stage=row.stage, kind=row.kind, reason=row.reason or c.ALERT_REASON_FIRST,
                     route=row.route or c.ROUTE_DUTY, raised_at=row.raised_at, delivery=row.delivery,
                     acknowledged_by=row.acknowledged_by, acknowledged_at=row.acknowledged_at,
                     escalated_at=row.escalated_at, follows_alert_id=row.follows_alert_id,
                     message_id=row.message_id)


def conversation_page(conversation_id: str) -> List[RecordPage]:
    """Everything the conversation page shows of the record, the outcomes stage first.

    Every wish is here, standing or taken away, with who set it aside; the
    alerts with the message that raised each; the danger marks; the
    safe-contact answers. One query per table.
    """
    with session_scope() as session:
        rows = list(session.execute(
            select(Conversation).where(Conversation.conversation_id == conversation_id)
        ).scalars())
        rows.sort(key=lambda row: (c.STAGES.index(row.stage) if row.stage in c.STAGES else len(c.STAGES),
                                   row.stage))
        if not rows:
            return []
        pks = [row.id for row in rows]
        found_wishes = list(session.execute(
            select(Outcome).where(Outcome.conversation_pk.in_(pks))
            .order_by(Outcome.conversation_pk, Outcome.position, Outcome.id)
        ).scalars())
        found_fixes = list(session.execute(
            select(Correction).where(Correction.conversation_pk.in_(pks))
            .order_by(Correction.at, Correction.id)
        ).scalars())
        found_alerts = list(session.execute(
            select(Alert).where(Alert.conversation_pk.in_(pks)).order_by(Alert.raised_at, Alert.id)
        ).scalars())
        found_marks = list(session.execute(
            select(Mark).where(Mark.conversation_pk.in_(pks)).order_by(Mark.at, Mark.id)
        ).scalars())
        set_aside_by = {fix.outcome_pk: fix.by for fix in found_fixes
                        if fix.to_code == c.WITHDRAWN_NOT_A_WISH}
        pages = []
        for row, record in zip(rows, contracts(session, rows), strict=True):
            wishes = [w for w in found_wishes if w.conversation_pk == row.id]
            pages.append(RecordPage(
                record=record,
                wishes=[
                    WishView(index=i, code=w.code, own_words=w.own_words, chosen=bool(w.chosen),
                             may_not_be_achievable=bool(w.may_not_be_achievable), achieved=w.achieved,
                             withdrawn_at=w.withdrawn_at, withdrawn_in=w.withdrawn_in,
                             withdrawn_reason=w.withdrawn_reason, set_aside_by=set_aside_by.get(w.id))
                    for i, w in enumerate(wishes)
                ],
                corrections=[
                    CorrectionView(f.outcome_index, f.from_code, f.to_code, f.by, f.at)
                    for f in found_fixes if f.conversation_pk == row.id
                ],
                alerts=[_alert_line(a) for a in found_alerts if a.conversation_pk == row.id],
                marks=[MarkView(m.at, m.tier, m.kind, m.reason, m.message_id, id=m.id,
                                reader_version=m.reader_version, read_by=m.read_by, read_at=m.read_at)
                       for m in found_marks if m.conversation_pk == row.id],
                safe_contact=_safe_contact(row),
            ))
        return pages
