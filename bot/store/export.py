"""The record as record-contract.md v2 shows it (v3, v4: new keys only), read in batches and streamed.

`iter_records` yields contract dictionaries newest first. It reads `batch`
conversations at a time with keyset pagination (after the last row's
`(started_at, id)`, which an index serves), loads their outcomes,
corrections, alerts and marks with one query each, and holds no session between
batches, so memory stays flat and no connection waits on a slow reader.
The store only fetches: `bot/report/export.py` writes the records as JSON or
CSV text for `msp export` and the workspace's download.

v2 adds keys only (`contract`, `answers`, `corrections`, `alerts`): every v1
key is still there with the same meaning. v3 (issue 16) adds `marks`, every
message the danger reader marked, without words: `[{at, tier, kind,
reader_version}]`, oldest first. v4 (issue 18) adds, keeping every v3 key:
`withdrawn_at` and `added_in` on every wish (`withdrawn_in` on a withdrawn
one), and on an outcomes record `checkins`, the dated entries its check-ins
made (`[{at, conversation_id, feels_safe_now, added, withdrawn, changed,
comment}]`, oldest first; empty on the other stages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.store.alerts import AlertView, alerts_for
from bot.store.db import session_scope
from bot.store.models import Checkin, Conversation, Correction, Mark, Outcome

CONTRACT_VERSION = 4
# The closed answers of the outcomes stage, exported under "answers" (null until asked).
ANSWER_FIELDS = (c.CONSENT_TO_TALK, c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE)
DEFAULT_BATCH = 500


def iso(moment: Optional[datetime]) -> Optional[str]:
    """UTC, ISO 8601, with a Z: how the contract writes every time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _alert(view: AlertView) -> Dict[str, Any]:
    """One alert of the record. Added with issue 15 (new keys only): why it was raised (`reason`:
    first, again, quick_exit, escalation), the id of the first alert a follow-up follows (as in
    `msp alerts`), and its `route` (duty, or out_of_hours for an escalation)."""
    return {
        "kind": view.kind,
        "raised_at": iso(view.raised_at),
        "delivery": view.delivery,
        "acknowledged_by": view.acknowledged_by,
        "acknowledged_at": iso(view.acknowledged_at),
        "reason": view.reason,
        "follows_alert_id": view.follows_alert_id,
        "route": view.route,
    }


def _correction(row: Correction) -> Dict[str, Any]:
    return {
        "outcome_index": row.outcome_index,
        "from_code": row.from_code,
        "to_code": row.to_code,
        "by": row.by,
        "at": iso(row.at),
    }


def _mark(row: Any) -> Dict[str, Any]:
    """One marked message: when, the tier (clear, possible, review), the kind, the reader. Never words."""
    return {"at": iso(row.at), "tier": row.tier, "kind": row.kind, "reader_version": row.reader_version}


def to_contract(
    conversation: Any,
    outcomes: Sequence[Any] = (),
    corrections: Sequence[Correction] = (),
    alerts: Sequence[AlertView] = (),
    marks: Sequence[Any] = (),
    checkins: Sequence[Any] = (),
) -> Dict[str, Any]:
    """One conversation at one stage as the contract (v4) shows it.

    `conversation` is a `Conversation` or a row of its table; `outcomes` its
    outcomes (objects or rows with code, own_words, ...), in list order;
    `marks` its marks (objects or rows with at, tier, kind, reader_version), oldest first;
    `checkins` the check-in entries on it (objects or rows of `checkins`), oldest first.
    """
    home = conversation.conversation_id
    return {
        "conversation_id": conversation.conversation_id,
        "enquiry_ref": conversation.enquiry_ref,
        "stage": conversation.stage,
        "status": conversation.status,
        "speaker_role": conversation.speaker_role,
        "asked_about_outcomes": conversation.asked_about_outcomes,
        # The wishes that stand. One taken away (by the person, or set aside by a practitioner
        # as not a wish) is never deleted: it is listed under "withdrawn_outcomes" instead.
        "outcomes": [_outcome(o, home) for o in outcomes if getattr(o, "withdrawn_at", None) is None],
        "feedback": {
            **{q: getattr(conversation, q) for q in c.FEEDBACK_QUESTIONS},
            "comments": conversation.comments,
        },
        "flags": {flag: bool(getattr(conversation, flag)) for flag in c.FLAGS},
        "confirmed": bool(conversation.confirmed),
        "started_at": iso(conversation.started_at),
        "updated_at": iso(conversation.updated_at),
        # v2
        "contract": CONTRACT_VERSION,
        "answers": {name: getattr(conversation, name) for name in ANSWER_FIELDS},
        "corrections": [_correction(row) for row in corrections],
        "alerts": [_alert(view) for view in alerts],
        # Added with issue 15 (new keys only).
        "withdrawn_outcomes": [
            {**_outcome(o, home), "withdrawn_reason": o.withdrawn_reason,
             "withdrawn_in": getattr(o, "withdrawn_in", None)}
            for o in outcomes if getattr(o, "withdrawn_at", None) is not None
        ],
        "safe_contact": _safe_contact(conversation),
        # v3 (issue 16): every marked message, without words.
        "marks": [_mark(row) for row in marks],
        # v4 (issue 18): the check-ins' dated entries, on the outcomes record they changed.
        "checkins": [_checkin(row) for row in checkins],
    }


def _outcome(o: Any, home: Optional[str] = None) -> Dict[str, Any]:
    """One wish. `chosen`: picked with an answer button, so `own_words` is empty (the choice is the code).

    v4: `withdrawn_at` (null while it stands) and `added_in`, the conversation
    that stated it (a wish from before v4 says its own record's conversation, `home`).
    """
    return {
        "code": o.code,
        "own_words": o.own_words,
        "may_not_be_achievable": bool(o.may_not_be_achievable),
        "achieved": o.achieved,
        "chosen": bool(getattr(o, "chosen", False)),
        "withdrawn_at": iso(getattr(o, "withdrawn_at", None)),
        "added_in": getattr(o, "added_in", None) or home,
    }


@dataclass(frozen=True)
class CheckinView:
    """One check-in entry as the export and the workspace read it (the comment is the person's words)."""

    at: datetime
    conversation_id: str
    feels_safe_now: Optional[str]
    added: List[str]
    withdrawn: List[str]
    changed: List[str]
    comment: Optional[str]


def checkin_view(row: Any) -> CheckinView:
    """An entry (an object, or a row of the table) as a view, its code lists read back."""
    return CheckinView(
        at=row.at, conversation_id=row.conversation_id, feels_safe_now=row.feels_safe_now,
        added=_codes_of(row.added), withdrawn=_codes_of(row.withdrawn), changed=_codes_of(row.changed),
        comment=row.comment,
    )


def _codes_of(text: Optional[str]) -> List[str]:
    try:
        found = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(code) for code in found] if isinstance(found, list) else []


def _checkin(row: Any) -> Dict[str, Any]:
    """A check-in's entry: when, which conversation, how safe the person felt, what changed, their comment."""
    entry = checkin_view(row)
    return {
        "at": iso(entry.at), "conversation_id": entry.conversation_id,
        "feels_safe_now": entry.feels_safe_now, "added": entry.added, "withdrawn": entry.withdrawn,
        "changed": entry.changed, "comment": entry.comment,
    }


def _safe_contact(conversation: Any) -> Optional[Dict[str, Any]]:
    """How the team may reach the person safely (asked after danger or a request for a person), or null."""
    if getattr(conversation, "contact_answered_at", None) is None:
        return None
    return {
        "safe_to_call": conversation.contact_safe_to_call,
        "when": conversation.contact_when,
        "number": conversation.contact_number,
        "others_may_answer": conversation.contact_others_answer,
        "if_call_missed": conversation.contact_if_missed,
        "answered_at": iso(conversation.contact_answered_at),
    }


def contracts(session: Session, conversations: Sequence[Any]) -> List[Dict[str, Any]]:
    """These conversations (objects or rows with an `id`) as contract dictionaries, in the order given.

    Their outcomes, corrections, alerts and marks are read here, one query
    each for the whole batch; outcomes and marks as plain rows, which is
    several times quicker than building ORM objects for them.
    """
    pks = [row.id for row in conversations]
    wishes: Dict[int, List[Any]] = {}
    fixes: Dict[int, List[Correction]] = {}
    marks: Dict[int, List[Any]] = {}
    visits: Dict[int, List[Any]] = {}  # the check-ins' entries
    if pks:
        table = Outcome.__table__
        found_wishes = session.execute(
            select(table.c.conversation_pk, table.c.code, table.c.own_words, table.c.may_not_be_achievable,
                   table.c.achieved, table.c.chosen, table.c.withdrawn_at, table.c.withdrawn_reason,
                   table.c.withdrawn_in, table.c.added_in)
            .where(table.c.conversation_pk.in_(pks))
            .order_by(table.c.conversation_pk, table.c.position, table.c.id)
        )
        for wish in found_wishes:
            wishes.setdefault(wish.conversation_pk, []).append(wish)
        found_fixes = session.execute(
            select(Correction)
            .where(Correction.conversation_pk.in_(pks))
            .order_by(Correction.at, Correction.id)
        ).scalars()
        for fix in found_fixes:
            fixes.setdefault(fix.conversation_pk, []).append(fix)
        marked = Mark.__table__
        found_marks = session.execute(
            select(marked.c.conversation_pk, marked.c.at, marked.c.tier, marked.c.kind,
                   marked.c.reader_version)
            .where(marked.c.conversation_pk.in_(pks))
            .order_by(marked.c.at, marked.c.id)
        )
        for mark in found_marks:
            marks.setdefault(mark.conversation_pk, []).append(mark)
        for entry in session.execute(
            select(Checkin).where(Checkin.outcomes_pk.in_(pks)).order_by(Checkin.at, Checkin.id)
        ).scalars():
            visits.setdefault(entry.outcomes_pk, []).append(entry)
    alerts = alerts_for(session, pks)
    return [
        to_contract(row, wishes.get(row.id, ()), fixes.get(row.id, ()), alerts.get(row.id, ()),
                    marks.get(row.id, ()), visits.get(row.id, ()))
        for row in conversations
    ]


def _filters(
    enquiry_ref: Optional[str], since: Optional[datetime], until: Optional[datetime]
) -> List[ColumnElement]:
    where: List[ColumnElement] = []
    if enquiry_ref:
        where.append(Conversation.enquiry_ref == enquiry_ref)
    if since:
        where.append(Conversation.updated_at >= since)
    if until:
        where.append(Conversation.updated_at < until)
    return where


def count_records(
    enquiry_ref: Optional[str] = None, since: Optional[datetime] = None, until: Optional[datetime] = None
) -> int:
    """How many records an export with these filters holds (for the audit entry)."""
    with session_scope() as session:
        query = select(func.count()).select_from(Conversation).where(*_filters(enquiry_ref, since, until))
        return int(session.execute(query).scalar_one())


def iter_records(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
    batch: int = DEFAULT_BATCH,
) -> Iterator[Dict[str, Any]]:
    """Every matching record, newest first (by started_at), as contract v4 dictionaries.

    `since` and `until` bound `updated_at` (until is exclusive), as the report's period does.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    where = _filters(enquiry_ref, since, until)
    table = Conversation.__table__
    after: Optional[tuple] = None
    while True:
        query = select(table).where(*where)
        if after is not None:
            query = query.where(tuple_(table.c.started_at, table.c.id) < tuple_(*after))
        query = query.order_by(table.c.started_at.desc(), table.c.id.desc()).limit(batch)
        with session_scope() as session:
            rows = list(session.execute(query))
            if not rows:
                return
            chunk = contracts(session, rows)
            after = (rows[-1].started_at, rows[-1].id)
        yield from chunk
        if len(rows) < batch:
            return
