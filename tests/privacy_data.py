"""Test data for erasure, retention and subject access: a whole enquiry in every table, and a tracker store.

The tracker store is a throw-away `events` table with Rasa's columns (as
`rasa.core.tracker_store.SQLTrackerStore.SQLEvent` declares them), filled by
plain inserts: no Rasa, no model. `scan` reads every row of every table a
database has (found by reflection, so a table added later is scanned too),
with any encrypted value opened, as text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot import constants as c
from bot.store import corrections, crypto, invitations, outbox, records

EVENTS = "events"


def make_tracker(url: str) -> None:
    """An empty `events` table shaped like Rasa's."""
    metadata = sa.MetaData()
    sa.Table(
        EVENTS, metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )
    engine = sa.create_engine(url, future=True)
    metadata.create_all(engine)
    engine.dispose()


def add_turns(url: str, sender: str, turns: Sequence[Tuple[str, str]], at: Optional[datetime] = None) -> None:
    """Events as Rasa stores them: ("person" | "assistant", text), a second apart from `at` (naive UTC)."""
    start = (at or datetime.now(timezone.utc).replace(tzinfo=None)).replace(tzinfo=timezone.utc).timestamp()
    engine = sa.create_engine(url, future=True)
    events = sa.Table(EVENTS, sa.MetaData(), autoload_with=engine)
    rows = [{"sender_id": sender, "type_name": "slot", "timestamp": start, "intent_name": None,
             "action_name": None,
             "data": json.dumps({"event": "slot", "name": "requested_slot", "value": c.DESIRED_OUTCOMES})}]
    for n, (speaker, text) in enumerate(turns, start=1):
        if speaker == "person":
            data = {"event": "user", "text": text, "parse_data": {"intent": {"name": "inform"}}}
            rows.append({"sender_id": sender, "type_name": "user", "timestamp": start + n,
                         "intent_name": "inform", "action_name": None, "data": json.dumps(data)})
        else:
            data = {"event": "bot", "text": text, "data": {"buttons": [{"title": "Yes"}, {"title": "No"}]}}
            rows.append({"sender_id": sender, "type_name": "bot", "timestamp": start + n,
                         "intent_name": None, "action_name": None, "data": json.dumps(data)})
    with engine.begin() as conn:
        conn.execute(sa.insert(events), rows)
    engine.dispose()


def event_senders(url: str) -> Dict[str, int]:
    engine = sa.create_engine(url, future=True)
    events = sa.Table(EVENTS, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        found = {str(s): int(n) for s, n in conn.execute(
            sa.select(events.c.sender_id, sa.func.count()).group_by(events.c.sender_id))}
    engine.dispose()
    return found


@dataclass(frozen=True)
class Enquiry:
    ref: str
    outcomes_id: str  # opened from an invitation
    review_id: str
    words: Tuple[str, ...]  # every piece of the person's words stored for it
    invite_id: str


def make_enquiry(tracker_url: str, label: str, at: Optional[datetime] = None) -> Enquiry:
    """One enquiry in every table: two conversations (both stages), wishes, a correction, comments,
    an alert with a delivery attempt, an invitation, and the chat in the tracker store."""
    tag = uuid.uuid4().hex[:8]
    ref = f"PR-{label}-{tag}"
    wish = f"{label} wants quokka{tag} to stop visiting"
    second = f"{label} feels safer with wombat{tag} gone"
    comment = f"{label} said the platypus{tag} social worker listened"
    invite_id = f"inv-{label}-{tag}"
    invitations.record_invitation(invite_id, ref, c.STAGE_OUTCOMES, c.ROLE_PERSON, "worker@example.org")
    outcomes_id, _ = invitations.open_invitation(invite_id, ref, c.STAGE_OUTCOMES, c.ROLE_PERSON)
    review_id = f"rev-{label}-{tag}"

    records.start_conversation(outcomes_id, c.STAGE_OUTCOMES, ref, c.ROLE_PERSON)
    records.add_outcomes(outcomes_id, c.STAGE_OUTCOMES, [(c.FEEL_SAFER, wish), (c.ABUSER_STAYS_AWAY, second)])
    records.save_answer(outcomes_id, c.STAGE_OUTCOMES, "confirmed", True)
    records.set_status(outcomes_id, c.STAGE_OUTCOMES, c.STATUS_COMPLETED)
    alert = records.set_flag(outcomes_id, c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    assert alert is not None
    outbox.record_delivery(alert, ("webhook",), {"webhook": "HTTP 503"})
    corrections.recode(outcomes_id, c.STAGE_OUTCOMES, 0, c.PROTECT_MYSELF, "worker@example.org")

    records.start_conversation(review_id, c.STAGE_REVIEW, ref, c.ROLE_PERSON)
    records.copy_outcomes_for_review(review_id, ref)
    records.set_achieved(review_id, c.STAGE_REVIEW, c.ABUSER_STAYS_AWAY, c.FULLY)
    records.save_answer(review_id, c.STAGE_REVIEW, c.FEEDBACK_QUESTIONS[0], c.YES)
    records.save_answer(review_id, c.STAGE_REVIEW, "comments", comment)
    records.set_status(review_id, c.STAGE_REVIEW, c.STATUS_COMPLETED)

    # Safe contact: the person's words too (when to call, the number, what if the call is missed).
    when = f"after 3pm when echidna{tag} is out"
    number = f"07700 9{int(tag, 16) % 100000:05d}"
    records.save_contact_answer(outcomes_id, c.STAGE_OUTCOMES, c.CONTACT_SAFE_TO_CALL, c.YES)
    records.save_contact_answer(outcomes_id, c.STAGE_OUTCOMES, c.CONTACT_WHEN, when)
    records.save_contact_answer(outcomes_id, c.STAGE_OUTCOMES, c.CONTACT_NUMBER, number)
    records.add_mark(outcomes_id, c.STAGE_OUTCOMES, c.MARK_CLEAR, "danger", "rules-test", "rule test", "m-1")

    add_turns(tracker_url, outcomes_id, [("assistant", "What would you like to happen?"), ("person", wish),
                                         ("person", second)], at)
    add_turns(tracker_url, review_id, [("assistant", "Anything else?"), ("person", comment)], at)
    return Enquiry(ref, outcomes_id, review_id, (wish, second, comment, when, number), invite_id)


def set_last_activity(conversation_ids: Sequence[str], moment: datetime) -> None:
    """Move records back in time (started and last active at `moment`), as if made then."""
    from bot.store.db import session_scope
    from bot.store.models import Conversation

    table = Conversation.__table__
    with session_scope() as session:
        session.execute(sa.update(table).where(table.c.conversation_id.in_(list(conversation_ids)))
                        .values(started_at=moment, updated_at=moment))


def _opened(value: object) -> str:
    text = "" if value is None else str(value)
    if crypto.is_encrypted(text):
        text = crypto.decrypt(text) or ""
    return text


def scan(url: str) -> Dict[str, List[str]]:
    """Every row of every table (by reflection) as one line of text, encrypted values opened."""
    engine = sa.create_engine(url, future=True)
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    found: Dict[str, List[str]] = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            found[name] = [" | ".join(_opened(v) for v in row) for row in conn.execute(sa.select(table))]
    engine.dispose()
    return found


def mentions(rows: Dict[str, List[str]], needles: Sequence[str]) -> Dict[str, List[str]]:
    """The rows, per table, that hold any of the needles."""
    hits = {name: [row for row in lines if any(n in row for n in needles)] for name, lines in rows.items()}
    return {name: lines for name, lines in hits.items() if lines}
