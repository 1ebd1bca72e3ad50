"""A practitioner's corrections of a wish: another code (`recode`), or "not a wish" (`set_aside`).

No Flask here: the workspace's views call these. Each is one unit of work with
its audit entry; the person's words never change, and both codes are kept.
"""

from __future__ import annotations

from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import Conversation, Correction, Outcome, utcnow
from bot.store.pushes import queue_correction

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
    The correction, the new code, the audit entry and a push of the record's new
    version to the case system (when it has, or will have, the record) are one transaction.
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
        queue_correction(session, conversation)
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
    change, its audit entry and a push of the new version are one transaction;
    `updated_at` is left alone.

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
        queue_correction(session, conversation)
        return True
