"""What the practitioners' workspace reads and changes: the list, a conversation, corrections, alerts,
and the messages marked "worth a look".

No Flask here: the web views call these and render. Each call is one unit
of work. The list is built to stay quick at 100,000 enquiries: every filter
and the order are served by an index (migration 0005), a page is a LIMIT,
and the count is an exact COUNT(*) over the same indexed filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.store.db import session_scope
from bot.store.export import contracts
from bot.store.models import Alert, Conversation, Correction, Mark, Outcome, utcnow
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
    reason: str = c.ALERT_REASON_FIRST  # first, or a follow-up (again, quick_exit, escalation)
    route: str = c.ROUTE_DUTY
    follows_alert_id: Optional[int] = None
    message_id: Optional[str] = None  # the message that raised it: the page links to it
    safe_contact: bool = False  # its record holds safe-contact answers (shown on the page, not here)


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
        set_aside_by = {fix.outcome_pk: fix.by for fix in found_fixes if fix.to_code == NOT_A_WISH}
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


# --- corrections: a code, or "not a wish" ------------------------------------------------------

NOT_A_WISH = c.WITHDRAWN_NOT_A_WISH  # a correction's to_code when a practitioner sets a wish aside


def _wish_for_change(session: Session, conversation_id: str, stage: str,
                     outcome_index: int) -> Tuple[Conversation, Outcome]:
    """The record and its wish `outcome_index` (among all its wishes), locked for the change."""
    if stage not in c.STAGES:
        raise ValueError(f"not a stage: {stage}")
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
    return conversation, outcomes[outcome_index]


def recode(
    conversation_id: str,
    stage: str,
    outcome_index: int,
    to_code: str,
    by: str,
    address: Optional[str] = None,
) -> bool:
    """A practitioner puts a wish under another code; True when the code changed.

    The person's words never change, and both codes are kept (`corrections`).
    The correction, the new code and the audit entry are one transaction.
    Reports count the wish under its new code. The record's `updated_at` is
    left alone: a correction is not the person's activity, and must not move
    the record into another reporting period. Two wishes may share a code.

    Raises ValueError for an unknown stage, code, conversation or index, or a
    wish that was taken away (it is not counted; there is nothing to recode).
    Correcting to the code it already has changes nothing (False).
    """
    if to_code not in c.OUTCOME_CODES:
        raise ValueError(f"not an outcome code: {to_code}")
    if not by:
        raise ValueError("a correction needs the name of who made it")
    with session_scope() as session:
        conversation, outcome = _wish_for_change(session, conversation_id, stage, outcome_index)
        if outcome.withdrawn_at is not None:
            raise ValueError(f"wish {outcome_index} was taken away: it has no code to correct")
        if outcome.code == to_code:
            return False
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
        return True


def set_aside(
    conversation_id: str,
    stage: str,
    outcome_index: int,
    by: str,
    address: Optional[str] = None,
) -> bool:
    """A practitioner says a wish is not a wish (a greeting, a test, words that wish nothing).

    A correction, not a deletion: the wish stays in the record with its words
    and its code, marked withdrawn (`withdrawn_reason` not_a_wish, no
    conversation took it away), and a `Correction` from its code to
    "not_a_wish" names who did it and when. Reports no longer count it. The
    change and its audit entry are one transaction; `updated_at` is left alone.

    Returns False when the wish was already taken away (nothing changes).
    Raises ValueError for an unknown stage, conversation or index.
    """
    if not by:
        raise ValueError("a correction needs the name of who made it")
    with session_scope() as session:
        conversation, outcome = _wish_for_change(session, conversation_id, stage, outcome_index)
        if outcome.withdrawn_at is not None:
            return False
        now = utcnow()
        outcome.withdrawn_at = now
        outcome.withdrawn_in = None
        outcome.withdrawn_reason = c.WITHDRAWN_NOT_A_WISH
        session.add(Correction(
            outcome_pk=outcome.id, conversation_pk=conversation.id, outcome_index=outcome_index,
            from_code=outcome.code, to_code=NOT_A_WISH, by=by, at=now,
        ))
        add_audit(
            session, by, "not_a_wish",
            f"conversation={conversation_id} stage={stage} outcome={outcome_index} code={outcome.code}",
            address,
        )
        return True


# --- alerts ------------------------------------------------------------------------------------


def open_alerts(limit: int = 100) -> List[OpenAlert]:
    """Alerts not yet acknowledged, the longest waiting first, with how long each has waited.

    With more than `limit` open, the newest `limit` are shown (as
    `alerts.list_alerts` does): a cut must never hide the alert raised a minute
    ago. Each says whether its record holds safe-contact answers (never what
    they are: the list is not the place for the person's words).
    """
    now = utcnow()
    with session_scope() as session:
        answered = or_(*(getattr(Conversation, name).isnot(None)
                         for name in (*c.CONTACT_QUESTIONS, "contact_answered_at")))
        found = list(session.execute(
            select(Alert, answered.label("answered"))
            .outerjoin(Conversation, Conversation.id == Alert.conversation_pk)
            .where(Alert.acknowledged_at.is_(None))
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(limit)
        ))
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
                reason=alert.reason or c.ALERT_REASON_FIRST,
                route=alert.route or c.ROUTE_DUTY,
                follows_alert_id=alert.follows_alert_id,
                message_id=alert.message_id,
                safe_contact=bool(has_answers),
            )
            for alert, has_answers in reversed(found)
        ]


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
