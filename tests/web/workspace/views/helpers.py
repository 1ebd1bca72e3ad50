"""What the workspace's view tests share: a CSRF token from a page, the audit's actions, and conversations
to look at (one with an urgent flag, one where danger and "safe now" meet in the transcript, one worth a look).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import List

from sqlalchemy import select, update

from bot import constants as c
from bot.store import audit as audit_store
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation, Mark
from tests.tracker_events import add_events, asked, replied, said

SECRET = "test-secret-key-" + "p" * 40
PASSWORD = "kettle-sunflower-march"
WHO = "pat@example.org"

T = datetime(2026, 7, 1, 14, 15)  # naive UTC: 3:15pm in the UK (summer time)
OPENING = '/start{"stage": "outcomes", "enquiry_ref": "NR-D", "role": "person"}'


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def actions() -> List[str]:
    return [e.action for e in audit_store.list_events(per_page=200).items]


def a_conversation() -> str:
    records.start_conversation("conv-9", c.STAGE_OUTCOMES, "NR-9", "person")
    records.add_outcomes("conv-9", c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "for him to stop shouting")])
    records.set_flag("conv-9", c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    return "conv-9"


def at_minute(n: int) -> datetime:
    return T + timedelta(minutes=n)


def a_danger_conversation(tracker: str, safe_first: bool = True) -> str:
    """A conversation: opened, "safe now: yes" pressed and a danger message (in either order), then the
    danger button. The danger message is marked clear and raised the alert."""
    cid = "conv-d"
    records.start_conversation(cid, c.STAGE_OUTCOMES, "NR-D", c.ROLE_PERSON)
    records.save_answer(cid, c.STAGE_OUTCOMES, c.FEELS_SAFE_NOW, c.YES)
    alert_id = records.set_flag(cid, c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    safe_at, danger_at = (at_minute(2), at_minute(3)) if safe_first else (at_minute(3), at_minute(2))
    with session_scope() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(message_id="m-danger",
                                                                          raised_at=danger_at))
        pk = session.execute(select(Conversation.id).where(Conversation.conversation_id == cid)).scalar_one()
        session.add(Mark(conversation_pk=pk, at=danger_at, tier=c.MARK_CLEAR, kind="weapon",
                         reason="rule knife_at_door", message_id="m-danger", reader_version="test"))
    safe = [asked(c.FEELS_SAFE_NOW, safe_at), replied("Do you feel safe right now?", safe_at, ["Yes", "No"]),
            said("Yes", safe_at + timedelta(seconds=5), "m-yes", metadata={c.PRESS_KEY: "/affirm"}),
            asked(c.WANTS_ADVOCATE, safe_at + timedelta(seconds=6))]
    danger = [said("he is at the door with a knife", danger_at, "m-danger")]
    add_events(tracker, cid, [
        said(OPENING, T, "m-open", command=True),
        *(safe + danger if safe_first else danger + safe),
        said("/danger", at_minute(4), "m-button", command=True),
    ])
    return cid


def danger_turn(page: str, message_id: str) -> str:
    match = re.search(rf'<li class="([^"]*)"\s*id="message-{message_id}"', page)
    assert match, f"no turn for {message_id}"
    return match.group(1)


def worth_a_look(tracker: str, marks: int = 1) -> str:
    """A conversation that carried on after a message marked "worth a look" (and, with marks=2, one more)."""
    cid = "conv-look"
    records.start_conversation(cid, c.STAGE_OUTCOMES, "NR-L", c.ROLE_PERSON)
    found = [("m-look", "scam_in_progress", "reader p 0.52, scam_in_progress", 5),
             ("m-more", "neglect_now", "reader p 0.47, neglect_now", 7)][:marks]
    for message_id, kind, reason, minutes in found:
        records.add_mark(cid, c.STAGE_OUTCOMES, c.MARK_REVIEW, kind, "readers-7", reason, message_id)
        with session_scope() as session:
            session.execute(update(Mark).where(Mark.message_id == message_id).values(at=at_minute(minutes)))
    add_events(tracker, cid, [
        said(OPENING.replace("NR-D", "NR-L"), T, "m-open", command=True),
        asked(c.DESIRED_OUTCOMES, at_minute(4)),
        said("a man on the phone says my bank is closing and wants my card number", at_minute(5), "m-look"),
        said("my carer has not come for three days", at_minute(7), "m-more"),
    ])
    return cid
