"""The record as record-contract.md v2 shows it (contract v3: new keys only), read in batches and streamed.

`iter_records` yields contract dictionaries newest first. It reads `batch`
conversations at a time with keyset pagination (after the last row's
`(started_at, id)`, which an index serves), loads their outcomes,
corrections, alerts and marks with one query each, and holds no session between
batches, so memory stays flat and no connection waits on a slow reader.
`stream_json` and `stream_csv` turn that into text chunks for `msp export`
and the workspace's download. In CSV, a cell that a spreadsheet would run as
a formula gets a ' in front (OWASP's advice); JSON keeps every word as given.

v2 adds keys only (`contract`, `answers`, `corrections`, `alerts`): every v1
key is still there with the same meaning. v3 (issue 16) adds `marks`, every
message the danger reader marked, without words: `[{at, tier, kind,
reader_version}]`, oldest first.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.store.alerts import AlertView, alerts_for
from bot.store.db import session_scope
from bot.store.models import Conversation, Correction, Mark, Outcome

CONTRACT_VERSION = 3
# The closed answers of the outcomes stage, exported under "answers" (null until asked).
ANSWER_FIELDS = (c.CONSENT_TO_TALK, c.FEELS_SAFE_NOW, c.WANTS_ADVOCATE)
DEFAULT_BATCH = 500
# A chunk is handed on once it holds about this many characters.
CHUNK_CHARS = 64 * 1024


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
) -> Dict[str, Any]:
    """One conversation at one stage as the contract (v3) shows it.

    `conversation` is a `Conversation` or a row of its table; `outcomes` its
    outcomes (objects or rows with code, own_words, ...), in list order;
    `marks` its marks (objects or rows with at, tier, kind, reader_version), oldest first.
    """
    return {
        "conversation_id": conversation.conversation_id,
        "enquiry_ref": conversation.enquiry_ref,
        "stage": conversation.stage,
        "status": conversation.status,
        "speaker_role": conversation.speaker_role,
        "asked_about_outcomes": conversation.asked_about_outcomes,
        # The wishes that stand. One taken away (by the person, or set aside by a practitioner
        # as not a wish) is never deleted: it is listed under "withdrawn_outcomes" instead.
        "outcomes": [_outcome(o) for o in outcomes if getattr(o, "withdrawn_at", None) is None],
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
            {**_outcome(o), "withdrawn_at": iso(o.withdrawn_at), "withdrawn_reason": o.withdrawn_reason}
            for o in outcomes if getattr(o, "withdrawn_at", None) is not None
        ],
        "safe_contact": _safe_contact(conversation),
        # v3 (issue 16): every marked message, without words.
        "marks": [_mark(row) for row in marks],
    }


def _outcome(o: Any) -> Dict[str, Any]:
    """One wish. `chosen`: picked with an answer button, so `own_words` is empty (the choice is the code)."""
    return {
        "code": o.code,
        "own_words": o.own_words,
        "may_not_be_achievable": bool(o.may_not_be_achievable),
        "achieved": o.achieved,
        "chosen": bool(getattr(o, "chosen", False)),
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
    if pks:
        table = Outcome.__table__
        found_wishes = session.execute(
            select(table.c.conversation_pk, table.c.code, table.c.own_words, table.c.may_not_be_achievable,
                   table.c.achieved, table.c.chosen, table.c.withdrawn_at, table.c.withdrawn_reason)
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
    alerts = alerts_for(session, pks)
    return [
        to_contract(row, wishes.get(row.id, ()), fixes.get(row.id, ()), alerts.get(row.id, ()),
                    marks.get(row.id, ()))
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
    """Every matching record, newest first (by started_at), as contract v3 dictionaries.

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


# json's own string encoder (its C version when there is one), as json.dumps(ensure_ascii=False) uses it.
_encode_str = json.encoder.encode_basestring


def _json(value: Any, indent: str) -> str:
    """The text `json.dumps(value, indent=2, ensure_ascii=False)` gives at this depth, several times quicker.

    json falls back to its pure-Python encoder whenever `indent` is set; the
    record is small and regular (dicts, lists, strings, ints, booleans, null),
    so this writes the same layout directly. tests/store/test_export.py checks
    it character for character against json.dumps.
    """
    if isinstance(value, str):
        return str(_encode_str(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_encode_str(str(k))}: {_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)  # a float, or anything else json knows


def stream_json(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
    batch: int = DEFAULT_BATCH,
) -> Iterator[str]:
    """A JSON array of the records, in chunks: the same text as `json.dump(list, indent=2)` and a newline."""
    return json_chunks(iter_records(enquiry_ref, since, until, batch))


def json_chunks(records_: Iterable[Dict[str, Any]]) -> Iterator[str]:
    """These records as `stream_json` writes them (for records that were added to, like a subject access)."""
    buffer: List[str] = []
    size = 0
    first = True
    for record in records_:
        text = "  " + _json(record, "  ")
        buffer.append(("[\n" if first else ",\n") + text)
        first = False
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    buffer.append("[]\n" if first else "\n]\n")
    yield "".join(buffer)


CSV_FIELDS = [
    "conversation_id", "enquiry_ref", "stage", "status", "speaker_role",
    "asked_about_outcomes", "confirmed", "started_at", "updated_at",
    *(f"flag_{f}" for f in c.FLAGS),
    *(f"feedback_{q}" for q in (*c.FEEDBACK_QUESTIONS, "comments")),
    "outcome_code", "outcome_own_words", "outcome_may_not_be_achievable", "outcome_achieved",
    # v2: new columns go last, so a reader that counts columns keeps working.
    *(f"answer_{name}" for name in ANSWER_FIELDS),
]
_RECORD_FIELDS = CSV_FIELDS[:9]

# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)", "@SUM(1)").
# OWASP's advice for CSV injection: start such a cell with a ' so that it is shown as the text it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a ' in front; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(records_: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """One row per wish (a conversation with none still gets one row)."""
    for record in records_:
        base = {k: record[k] for k in _RECORD_FIELDS}
        base.update({f"flag_{k}": v for k, v in record["flags"].items()})
        base.update({f"feedback_{k}": v for k, v in record["feedback"].items()})
        base.update({f"answer_{k}": v for k, v in record["answers"].items()})
        for outcome in record["outcomes"] or [None]:
            row = dict(base)
            if outcome:
                row.update({f"outcome_{k}": outcome[k] for k in
                            ("code", "own_words", "may_not_be_achievable", "achieved")})
            yield row


def stream_csv(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
    batch: int = DEFAULT_BATCH,
) -> Iterator[str]:
    """The records as CSV, one row per wish, in chunks (header first)."""
    return csv_chunks(iter_records(enquiry_ref, since, until, batch))


def csv_chunks(records_: Iterable[Dict[str, Any]]) -> Iterator[str]:
    """These records as `stream_csv` writes them. Every cell passes `formula_safe` on its way out;
    JSON keeps the words exactly as they are."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in csv_rows(records_):
        writer.writerow({name: formula_safe(value) for name, value in row.items()})
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
