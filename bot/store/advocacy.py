"""Advocacy: the signs the assistant noticed, its offer, and the practitioner's decision (issue 18, part 2).

The assistant records signs that taking part is hard (reason codes, never
words), raises the `advocacy_needed` flag with an ordinary duty alert in the
same transaction (once per record), and keeps whether the person took up its
offer of an advocate. Whether the person lacks capacity, or needs a referral,
is a practitioner's decision: they record the referral (date, organisation)
or why none is needed, audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store import alerts as alert_store
from bot.store import records
from bot.store.audit import add_audit
from bot.store.db import commit_now, session_scope
from bot.store.models import Advocacy, Conversation, utcnow

ORGANISATION_MAX = 255


@dataclass(frozen=True)
class AdvocacyView:
    """One record's advocacy, as the workspace shows it: codes, dates and who decided, never words."""

    conversation_id: str
    stage: str
    enquiry_ref: Optional[str]
    speaker_role: Optional[str]
    wants_advocate: Optional[str]
    requested: bool  # asked for an advocate (the flag advocacy_requested)
    needed: bool  # the assistant noticed signs (the flag advocacy_needed)
    reasons: Tuple[str, ...]
    noticed_at: Optional[datetime]
    offered_at: Optional[datetime]
    offer_answer: Optional[str]
    decision: Optional[str]
    referred_on: Optional[date]
    organisation: Optional[str]
    no_referral_reason: Optional[str]
    decided_by: Optional[str]
    decided_at: Optional[datetime]
    updated_at: Optional[datetime] = None


def _codes(reasons: Sequence[str]) -> List[str]:
    unknown = sorted(set(reasons) - set(c.DIFFICULTY_REASONS))
    if unknown or not reasons:
        raise ValueError(f"not reason codes: {unknown or 'none given'}")
    return list(dict.fromkeys(reasons))


def _row(session: Session, conversation: Conversation) -> Advocacy:
    row = session.execute(
        select(Advocacy).where(Advocacy.conversation_pk == conversation.id)
    ).scalar_one_or_none()
    if row is None:
        row = Advocacy(conversation_pk=conversation.id)
        session.add(row)
    return row


def note_difficulty(conversation_id: str, stage: str, reasons: Sequence[str], channels: Sequence[str] = (),
                    offered: bool = False, message_id: Optional[str] = None) -> Optional[int]:
    """Raise `advocacy_needed` with its reasons and an ordinary duty alert, once per record.

    Returns the alert's id, or None when the record already has the flag (nothing is written again).
    `offered`: the assistant is offering an advocate in this turn. Committed at once, like any flag.
    """
    codes = _codes(reasons)
    with session_scope() as session:
        conversation = records._get_or_create(session, conversation_id, stage)
        if conversation.advocacy_needed:
            return None
        now = utcnow()
        row = _row(session, conversation)
        row.reasons, row.noticed_at = ",".join(codes), now
        if offered:
            row.offered_at = now
        conversation.advocacy_needed = True
        records._touch(conversation)
        alert_id = alert_store.raise_alert(session, conversation, c.FLAG_ADVOCACY_NEEDED, channels,
                                           None, message_id)
        commit_now(session)
        return alert_id


def answer_offer(conversation_id: str, stage: str, answer: str) -> None:
    """The person's answer to the offer of an advocate: yes or no."""
    if answer not in (c.YES, c.NO):
        raise ValueError(f"not an answer to the offer: {answer}")
    with session_scope() as session:
        conversation = records._get_or_create(session, conversation_id, stage)
        _row(session, conversation).offer_answer = answer
        records._touch(conversation)


def record_decision(conversation_id: str, stage: str, decision: str, by: str, *,
                    referred_on: Optional[date] = None, organisation: Optional[str] = None,
                    no_referral_reason: Optional[str] = None, address: Optional[str] = None) -> None:
    """A practitioner's decision: a referral (date and organisation) or why none is needed. Audited with it.

    ValueError when the record does not exist or the decision is incomplete.
    """
    organisation = (organisation or "").strip()[:ORGANISATION_MAX] or None
    if decision == c.ADVOCACY_REFERRED and (referred_on is None or organisation is None):
        raise ValueError("a referral needs its date and the organisation")
    if decision == c.ADVOCACY_NOT_NEEDED and no_referral_reason not in c.NO_REFERRAL_REASONS:
        raise ValueError("say why no referral is needed")
    if decision not in c.ADVOCACY_DECISIONS:
        raise ValueError(f"not a decision: {decision}")
    referred = decision == c.ADVOCACY_REFERRED
    with session_scope() as session:
        conversation = records._get(session, conversation_id, stage)
        if conversation is None:
            raise ValueError("no such record")
        row = _row(session, conversation)
        row.decision, row.decided_by, row.decided_at = decision, by, utcnow()
        row.referred_on = referred_on if referred else None
        row.organisation = organisation if referred else None
        row.no_referral_reason = None if referred else no_referral_reason
        detail = (f"conversation={conversation_id} stage={stage} decision={decision} "
                  + (f"on={referred_on}" if referred else f"reason={no_referral_reason}"))
        add_audit(session, by, "advocacy", detail, address)


# --- reading, for the workspace ----------------------------------------------------------------

# A record needs a decision when the assistant noticed signs, or an advocate was asked for.
_NEEDS = or_(Conversation.advocacy_needed.is_(True), Conversation.advocacy_requested.is_(True),
             Conversation.wants_advocate == c.YES)


def _query():  # type: ignore[no-untyped-def]
    return (select(Conversation, Advocacy)
            .outerjoin(Advocacy, Advocacy.conversation_pk == Conversation.id)
            .where(_NEEDS))


def _view(conversation: Conversation, row: Optional[Advocacy]) -> AdvocacyView:
    return AdvocacyView(
        conversation_id=conversation.conversation_id, stage=conversation.stage,
        enquiry_ref=conversation.enquiry_ref, speaker_role=conversation.speaker_role,
        wants_advocate=conversation.wants_advocate, requested=bool(conversation.advocacy_requested),
        needed=bool(conversation.advocacy_needed),
        reasons=tuple(r for r in ((row.reasons if row else None) or "").split(",") if r),
        noticed_at=row.noticed_at if row else None, offered_at=row.offered_at if row else None,
        offer_answer=row.offer_answer if row else None, decision=row.decision if row else None,
        referred_on=row.referred_on if row else None, organisation=row.organisation if row else None,
        no_referral_reason=row.no_referral_reason if row else None,
        decided_by=row.decided_by if row else None, decided_at=row.decided_at if row else None,
        updated_at=conversation.updated_at,
    )


def waiting(limit: int = 200) -> List[AdvocacyView]:
    """Records that need a referral decision and have none yet, the longest waiting first."""
    with session_scope() as session:
        rows = session.execute(
            _query().where(or_(Advocacy.id.is_(None), Advocacy.decision.is_(None)))
            .order_by(Conversation.updated_at, Conversation.id).limit(limit))
        return [_view(conv, row) for conv, row in rows]


def decided(limit: int = 20) -> List[AdvocacyView]:
    """The newest decisions."""
    with session_scope() as session:
        rows = session.execute(
            _query().where(and_(Advocacy.id.isnot(None), Advocacy.decision.isnot(None)))
            .order_by(Advocacy.decided_at.desc(), Advocacy.id.desc()).limit(limit))
        return [_view(conv, row) for conv, row in rows]


def for_conversation(conversation_id: str) -> Dict[str, AdvocacyView]:
    """The advocacy of each stage of a conversation that has any, by stage."""
    with session_scope() as session:
        rows = session.execute(
            select(Conversation, Advocacy)
            .outerjoin(Advocacy, Advocacy.conversation_pk == Conversation.id)
            .where(Conversation.conversation_id == conversation_id))
        return {conv.stage: _view(conv, row) for conv, row in rows
                if row is not None or conv.advocacy_needed or conv.advocacy_requested}
