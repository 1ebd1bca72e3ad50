"""Check-ins (issue 18, part 1): where a check-in's changes live, and its dated entry on the record.

There is one conversation per invitation, so a check-in is a record of its
own (stage checkin: its status, flags and answers), and the wishes it keeps,
adds or takes away are those of the enquiry's outcomes record, its *home*
(`home_of`). Each check-in leaves one dated entry on that home saying what it
changed (`add_checkin`), and the home is pushed again to the case system in
the same transaction. Every call uses `session_scope`, so inside a turn it
joins the turn's one transaction (`db.one_transaction`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, select

from bot import constants as c
from bot.store import pushes, records
from bot.store.db import session_scope
from bot.store.export import CheckinView, checkin_view
from bot.store.models import Checkin, Conversation, Outcome, utcnow


def home_of(enquiry_ref: str, checkin_id: str) -> str:
    """The conversation id of the outcomes record a check-in of this enquiry changes.

    The newest confirmed outcomes record of the enquiry; else its newest
    outcomes record; else a new one (in progress), under the check-in's own
    conversation id, so the wishes it states have somewhere to live.
    """
    if not enquiry_ref:
        raise ValueError("a check-in needs the enquiry reference it is for")
    with session_scope() as session:
        found = session.execute(
            select(Conversation.conversation_id)
            .where(Conversation.enquiry_ref == enquiry_ref, Conversation.stage == c.STAGE_OUTCOMES)
            .order_by(Conversation.confirmed.desc(), Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(1)
        ).scalar()
        if found is not None:
            return str(found)
        home = records._get_or_create(session, checkin_id, c.STAGE_OUTCOMES)
        home.enquiry_ref = enquiry_ref
        return checkin_id


def _codes(name: str, codes: Sequence[str]) -> str:
    wrong = [code for code in codes if code not in c.OUTCOME_CODES]
    if wrong:
        raise ValueError(f"{name}: not outcome codes: {', '.join(map(str, wrong))}")
    return json.dumps(list(codes))


def add_checkin(
    home_id: str,
    checkin_id: str,
    feels_safe_now: Optional[str],
    added: List[str],
    withdrawn: List[str],
    changed: List[str],
    comment: Optional[str],
) -> int:
    """One dated entry on the outcomes record `home_id`, and a push of that record; returns the entry's id.

    One entry per check-in: called again for the same `checkin_id` (a retried
    action, a resumed check-in) it updates the entry, and pushes the record
    again only when something in it changed. `added`, `withdrawn`, `changed`:
    outcome codes; `comment`: the person's words (encrypted at rest), or None.
    """
    if feels_safe_now is not None and feels_safe_now not in c.ANSWER_KINDS["safe"]:
        raise ValueError(f"not a feels_safe_now answer: {feels_safe_now}")
    values: Dict[str, Any] = {
        "feels_safe_now": feels_safe_now,
        "added": _codes("added", added),
        "withdrawn": _codes("withdrawn", withdrawn),
        "changed": _codes("changed", changed),
        "comment": (comment or "").strip() or None,
    }
    with session_scope() as session:
        home = records._get(session, home_id, c.STAGE_OUTCOMES)
        if home is None:
            raise ValueError(f"no outcomes record {home_id}: use home_of() first")
        entry = session.execute(
            select(Checkin).where(Checkin.conversation_id == checkin_id)
        ).scalar_one_or_none()
        if entry is None:
            entry = Checkin(conversation_id=checkin_id, outcomes_pk=home.id, at=utcnow(), **values)
            session.add(entry)
            news = True
        else:
            news = entry.outcomes_pk != home.id or any(getattr(entry, k) != v for k, v in values.items())
            entry.outcomes_pk = home.id
            for key, value in values.items():
                setattr(entry, key, value)
        if news:
            home.updated_at = utcnow()
            pushes.queue_push(session, home, c.PUSH_REASON_CHECKIN)
        session.flush()
        return int(entry.id)


def last_checkin(enquiry_ref: str) -> Optional[datetime]:
    """When the enquiry's latest check-in entry was made, or None when it has had none."""
    with session_scope() as session:
        return session.execute(
            select(func.max(Checkin.at))
            .join(Conversation, Conversation.id == Checkin.outcomes_pk)
            .where(Conversation.enquiry_ref == enquiry_ref)
        ).scalar()


def checkins_of(enquiry_ref: str) -> List[CheckinView]:
    """Every check-in entry on the enquiry's outcomes records, oldest first (the workspace's timeline)."""
    with session_scope() as session:
        found = session.execute(
            select(Checkin)
            .join(Conversation, Conversation.id == Checkin.outcomes_pk)
            .where(Conversation.enquiry_ref == enquiry_ref)
            .order_by(Checkin.at, Checkin.id)
        ).scalars()
        return [checkin_view(row) for row in found]


def changes_by(home_id: str, checkin_id: str) -> Tuple[List[str], List[str]]:
    """The codes of the wishes a check-in added to its home record, and of those it took away, in order."""
    with session_scope() as session:
        home = records._get(session, home_id, c.STAGE_OUTCOMES)
        if home is None:
            return [], []
        rows = sorted(home.outcomes, key=lambda row: (row.position, row.id))
        added = [row.code for row in rows if row.added_in == checkin_id]
        withdrawn = [row.code for row in rows
                     if row.withdrawn_at is not None and row.withdrawn_in == checkin_id]
        return added, withdrawn


# --- the workspace's timeline of an enquiry's wishes ---------------------------------------------

STATED = "stated"
WITHDRAWN = "withdrawn"
SET_ASIDE = "set_aside"
CHANGED = "changed"
ACHIEVED = "achieved"


@dataclass(frozen=True)
class WishEvent:
    """One thing that happened to a wish: stated, changed, withdrawn (or set aside), achieved. Codes only.

    `conversation_id`: where it happened; `in_checkin`: that conversation was
    a check-in (not the first conversation, nor the review); `answer`: how far
    it was achieved (achieved only).
    """

    at: Optional[datetime]
    kind: str
    code: str
    conversation_id: Optional[str]
    in_checkin: bool
    answer: Optional[str] = None


def timeline(enquiry_ref: str) -> List[WishEvent]:
    """The enquiry's wishes over time, oldest first: its outcomes records, check-ins and newest review."""
    conv, out = Conversation.__table__, Outcome.__table__
    with session_scope() as session:
        visits = set(session.execute(select(Checkin.conversation_id).join(
            conv, conv.c.id == Checkin.outcomes_pk).where(conv.c.enquiry_ref == enquiry_ref)).scalars())
        visits |= set(session.execute(select(conv.c.conversation_id).where(
            conv.c.enquiry_ref == enquiry_ref, conv.c.stage == c.STAGE_CHECKIN)).scalars())
        wishes = session.execute(
            select(out.c.code, out.c.created_at, out.c.added_in, out.c.withdrawn_at, out.c.withdrawn_in,
                   out.c.withdrawn_reason, conv.c.conversation_id)
            .join(conv, conv.c.id == out.c.conversation_pk)
            .where(conv.c.enquiry_ref == enquiry_ref, conv.c.stage == c.STAGE_OUTCOMES)
        ).all()
        review = session.execute(
            select(conv.c.id, conv.c.conversation_id, conv.c.updated_at)
            .where(conv.c.enquiry_ref == enquiry_ref, conv.c.stage == c.STAGE_REVIEW)
            .order_by(conv.c.updated_at.desc(), conv.c.id.desc()).limit(1)
        ).first()
        achieved = [] if review is None else session.execute(
            select(out.c.code, out.c.achieved).where(out.c.conversation_pk == review.id,
                                                     out.c.withdrawn_at.is_(None), out.c.achieved.isnot(None))
            .order_by(out.c.position, out.c.id)
        ).all()
    events: List[WishEvent] = []
    for wish in wishes:
        stated_in = wish.added_in or wish.conversation_id
        events.append(WishEvent(wish.created_at, STATED, wish.code, stated_in, stated_in in visits))
        if wish.withdrawn_at is not None:
            kind = SET_ASIDE if wish.withdrawn_reason == c.WITHDRAWN_NOT_A_WISH else WITHDRAWN
            events.append(WishEvent(wish.withdrawn_at, kind, wish.code, wish.withdrawn_in,
                                    wish.withdrawn_in in visits))
    for entry in checkins_of(enquiry_ref):
        events += [WishEvent(entry.at, CHANGED, code, entry.conversation_id, True) for code in entry.changed]
    if review is not None:
        events += [WishEvent(review.updated_at, ACHIEVED, row.code, review.conversation_id, False,
                             row.achieved) for row in achieved]
    return sorted(events, key=lambda e: (e.at or datetime.min, e.kind != STATED))
