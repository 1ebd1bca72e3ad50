"""A message the danger reader marked, and why (never its words): one row per message and tier.

Written inside the caller's unit of work (`records.set_flag`, `records.add_mark`),
so a mark stands or falls with the flag it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import constants as c
from bot.store.models import Conversation, Mark, utcnow


@dataclass(frozen=True)
class MarkSpec:
    """Why a message was marked: its tier, the kind of danger, the rule or score, the reader's version."""

    tier: str
    kind: str
    reader_version: str
    reason: Optional[str] = None


def add_mark_in(
    session: Session, conversation: Conversation, mark: MarkSpec, message_id: Optional[str]
) -> None:
    if mark.tier not in c.MARK_TIERS:
        raise ValueError(f"not a mark tier: {mark.tier}")
    if message_id is not None:
        existing = session.execute(
            select(Mark.id).where(Mark.conversation_pk == conversation.id, Mark.message_id == message_id,
                                  Mark.tier == mark.tier)
        ).scalar()
        if existing is not None:
            return
    session.add(Mark(conversation_pk=conversation.id, at=utcnow(), tier=mark.tier, kind=mark.kind[:32],
                     reason=(mark.reason or None) and mark.reason[:128], message_id=message_id,
                     reader_version=mark.reader_version[:32]))
