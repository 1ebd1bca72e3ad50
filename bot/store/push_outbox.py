"""Record pushes, the sender's side: claim the ones due, read the record to send, record each try.

Claims work as the duty alerts' do (`outbox.py`): a lease, taken with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and an UPDATE that checks
again on SQLite, so several senders never hold one push at once and a sender
that dies mid-try frees it when the lease ends. The retry policy is the
push's own: a failed try is tried again after 1 s, 2 s, 4 s ... at most
`max_delay_s` apart, and never given up, so a case system that is away over
a weekend loses nothing. Only a delivery, a newer version or a practitioner
ends it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import or_, select

from bot import constants as c
from bot.store import outbox
from bot.store.db import session_scope
from bot.store.export import contracts
from bot.store.models import Conversation, RecordPush, utcnow
from bot.store.outbox import LEASE, next_delay
from bot.store.pushes import PushView, view

MAX_DELAY_S = 300.0  # a push that keeps failing is tried at least every five minutes, for as long as it takes


def claim_due(worker: str, limit: int = 10, lease: timedelta = LEASE) -> List[PushView]:
    """Claim up to `limit` pushes that are due, the longest-waiting try first."""
    now = utcnow()
    token = f"{worker}:{uuid.uuid4().hex[:8]}"[-64:]
    where = (
        RecordPush.state == c.PUSH_QUEUED,
        RecordPush.next_attempt_at <= now,
        or_(RecordPush.claimed_until.is_(None), RecordPush.claimed_until < now),
    )
    order = (RecordPush.next_attempt_at, RecordPush.id)
    with session_scope() as session:
        if not outbox.claim_rows(session, RecordPush, where, order, limit, token, now + lease):
            return []
        rows = session.execute(select(RecordPush).where(RecordPush.claimed_by == token).order_by(*order))
        return [view(row) for row in rows.scalars()]


def record_to_send(push_id: int) -> Optional[Tuple[Dict[str, Any], int]]:
    """The record as it is now (contract dictionary) and the push's version; None when it must not go.

    Read when it is sent, so the newest record goes. None when the push was
    superseded, stopped or sent meanwhile, or the record was erased.
    """
    with session_scope() as session:
        push = session.get(RecordPush, push_id)
        if push is None or push.state != c.PUSH_QUEUED:
            return None
        conversation = session.get(Conversation, push.conversation_pk)
        if conversation is None:
            return None
        return contracts(session, [conversation])[0], int(push.version)


def record_try(push_id: int, error: Optional[str], claim: Optional[str] = None,
               max_delay_s: float = MAX_DELAY_S) -> str:
    """Store one try (`error` None: the case system accepted it); returns the push's state after it.

    A push delivered after it was superseded or stopped is recorded as sent
    (it did arrive). A failed try of a push still waiting sets the next try,
    with back-off; it is never given up.
    """
    now = utcnow()
    with session_scope() as session:
        push = session.get(RecordPush, push_id, with_for_update=True)
        if push is None:  # erased while it was being sent
            return c.PUSH_STOPPED
        push.attempts = (push.attempts or 0) + 1
        push.last_attempt_at = now
        push.last_error = (error or None) and error[:255]
        if claim is None or push.claimed_by == claim:
            push.claimed_by = None
            push.claimed_until = None
        if error is None:
            push.state = c.PUSH_SENT
            push.sent_at = now
        elif push.state == c.PUSH_QUEUED:
            push.next_attempt_at = now + timedelta(seconds=next_delay(push.attempts, max_delay_s))
        return str(push.state)


def release(push_ids: Sequence[int], claim: str) -> int:
    """Give back pushes this claim holds but will not try now (due again at once)."""
    return outbox.release(push_ids, claim, RecordPush)
