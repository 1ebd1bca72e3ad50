"""Invitations and the conversation each one opens (no Rasa, no Flask).

The same link always resumes the same conversation: the first opening gives
the invitation an unguessable conversation id, later openings find it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import select

from bot.store.db import session_scope
from bot.store.models import Invitation, utcnow


@dataclass(frozen=True)
class InvitationView:
    invite_id: str
    enquiry_ref: str
    stage: str
    role: str
    created_by: str
    created_at: datetime
    conversation_id: Optional[str]
    last_opened_at: Optional[datetime]


def _view(row: Invitation) -> InvitationView:
    return InvitationView(row.invite_id, row.enquiry_ref, row.stage, row.role, row.created_by, row.created_at,
                          row.conversation_id, row.last_opened_at)


def record_invitation(invite_id: str, enquiry_ref: str, stage: str, role: str, created_by: str) -> None:
    with session_scope() as session:
        session.add(Invitation(invite_id=invite_id, enquiry_ref=enquiry_ref, stage=stage, role=role,
                               created_by=created_by))


def open_invitation(invite_id: str, enquiry_ref: str, stage: str, role: str) -> Tuple[str, bool]:
    """The conversation id for this invitation, and whether this is its first opening."""
    with session_scope() as session:
        row = session.execute(
            select(Invitation).where(Invitation.invite_id == invite_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:  # a signed link made before this database existed: trust the signature
            row = Invitation(invite_id=invite_id, enquiry_ref=enquiry_ref, stage=stage, role=role,
                             created_by="(unknown)")
            session.add(row)
        first = row.conversation_id is None
        if first:
            row.conversation_id = secrets.token_urlsafe(24)
        row.last_opened_at = utcnow()
        return str(row.conversation_id), first


def list_invitations(enquiry_ref: Optional[str] = None, limit: int = 100) -> List[InvitationView]:
    query = select(Invitation).order_by(Invitation.created_at.desc()).limit(limit)
    if enquiry_ref:
        query = query.where(Invitation.enquiry_ref == enquiry_ref)
    with session_scope() as session:
        return [_view(row) for row in session.execute(query).scalars()]
