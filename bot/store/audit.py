"""The audit log: who read, exported, changed or signed in, when and from where.

Append-only. This module can add an entry (`record` in its own unit of work,
`add_audit` inside the caller's) and read entries; it has no way to
change or remove one, and the database refuses that too (triggers, migration
0004). An entry holds references, ids, actors and times, never a person's
words: the detail is for "enquiry=NR-2026-0042 format=csv", not for what
anybody said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.db import session_scope
from bot.store.models import AuditEvent

# Column widths (models.AuditEvent): longer values are cut, never refused, so an audit cannot fail on length.
ACTOR_MAX = 255
ACTION_MAX = 32
ADDRESS_MAX = 64
DETAIL_MAX = 2000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    detail: Optional[str]
    address: Optional[str]


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first."""

    items: List[AuditEntry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def record(actor: str, action: str, detail: str, address: Optional[str] = None) -> None:
    """Add one entry, in its own unit of work. Who did what, and from where (an IP address, for the
    workspace). Never a person's words."""
    with session_scope() as session:
        add_audit(session, actor, action, detail, address)


def add_audit(
    session: Session, actor: str, action: str, detail: str, address: Optional[str] = None
) -> None:
    """An audit entry inside the caller's transaction: it stands or falls with what it records.

    Cut to the columns' widths as `record` cuts them, so an audit never fails on length.
    """
    session.add(
        AuditEvent(
            actor=(actor or "-")[:ACTOR_MAX],
            action=action[:ACTION_MAX],
            detail=detail[:DETAIL_MAX] if detail else detail,
            address=address[:ADDRESS_MAX] if address else None,
        )
    )


def list_events(page: int = 1, per_page: int = 50, action: Optional[str] = None,
                actor: Optional[str] = None) -> AuditPage:
    """Entries newest first, optionally only one action and/or one actor (actor matched without case)."""
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), 1000))
    query = select(AuditEvent)
    counted = select(func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action == action)
        counted = counted.where(AuditEvent.action == action)
    if actor:
        query = query.where(func.lower(AuditEvent.actor) == actor.strip().lower())
        counted = counted.where(func.lower(AuditEvent.actor) == actor.strip().lower())
    with session_scope() as session:
        total = int(session.execute(counted).scalar_one())
        rows = session.execute(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
        items = [AuditEntry(r.id, r.at, r.actor, r.action, r.detail, r.address) for r in rows]
    return AuditPage(items=items, page=page, per_page=per_page, total=total)
