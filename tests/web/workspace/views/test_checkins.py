"""The conversation page's check-ins: the wishes over time, when the last check-in was, and "Send a check-in"."""

from __future__ import annotations

import re
from typing import Any

from bot import constants as c
from bot.store import audit as audit_store
from bot.store import checkins, records
from bot.store import invitations as invitation_store
from bot.store.db import one_transaction
from bot.web import invitations
from tests.web.workspace.views.helpers import SECRET, csrf

S = c.STAGE_OUTCOMES
REF = "NR-2026-0042"


def _enquiry_with_a_check_in() -> None:
    """first: two wishes; check-1 takes one away and adds one; the review says the new one partly happened."""
    records.start_conversation("first", S, REF, c.ROLE_PERSON)
    records.add_outcomes("first", S, [(c.FEEL_SAFER, "for it to stop"), (c.ACCESS_SUPPORT, "help")])
    records.save_answer("first", S, "confirmed", True)
    records.start_conversation("check-1", c.STAGE_CHECKIN, REF, c.ROLE_PERSON)
    with one_transaction():
        home = checkins.home_of(REF, "check-1")
        records.add_outcomes(home, S, [(c.MAKE_FRIENDS, "see friends")], added_in="check-1")
        records.withdraw_outcomes(home, S, codes=[c.FEEL_SAFER], withdrawn_in="check-1")
        checkins.add_checkin(home, "check-1", c.YES, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [c.ACCESS_SUPPORT], None)
    records.start_conversation("rev-1", c.STAGE_REVIEW, REF, c.ROLE_PERSON)
    records.copy_outcomes_for_review("rev-1", REF)
    records.set_achieved("rev-1", c.STAGE_REVIEW, c.MAKE_FRIENDS, c.PARTLY)


def test_the_timeline_has_each_wish_stated_changed_withdrawn_and_achieved(record_db: str) -> None:
    _enquiry_with_a_check_in()
    seen = [(e.kind, e.code, e.conversation_id, e.in_checkin, e.answer) for e in checkins.timeline(REF)]
    assert seen[:2] == [("stated", c.FEEL_SAFER, "first", False, None), ("stated", c.ACCESS_SUPPORT, "first", False, None)]
    assert set(seen[2:]) == {
        ("stated", c.MAKE_FRIENDS, "check-1", True, None), ("withdrawn", c.FEEL_SAFER, "check-1", True, None),
        ("changed", c.ACCESS_SUPPORT, "check-1", True, None), ("achieved", c.MAKE_FRIENDS, "rev-1", False, c.PARTLY)}
    assert seen[-1][0] == "achieved"
    assert checkins.timeline("NR-nothing") == []


def test_the_page_shows_the_timeline_and_the_last_check_in(client: Any) -> None:
    _enquiry_with_a_check_in()
    page = client.get("/review/conversations/first").get_data(as_text=True)
    assert "Wishes over time" in page and "Last check-in: " in page
    assert "stated in the first conversation" in page and "added in a check-in" in page
    assert "taken away by the person, in a check-in" in page and "changed in a check-in" in page
    assert "achieved: partly (from the review)" in page
    records.start_conversation("other", S, "NR-2026-0099", c.ROLE_PERSON)
    assert "No check-ins yet" in client.get("/review/conversations/other").get_data(as_text=True)


def test_send_a_check_in_makes_a_signed_link_for_the_enquiry_and_is_audited(client: Any) -> None:
    records.start_conversation("first", S, REF, c.ROLE_PERSON)
    page = client.get("/review/conversations/first").get_data(as_text=True)
    assert "Send a check-in" in page
    made = client.post("/review/invitations/checkin", data={"enquiry": REF, "csrf_token": csrf(page)})
    assert made.status_code == 200
    link = re.search(r'value="(https://chat\.example\.gov\.uk/start/[^"]+)"', made.get_data(as_text=True))
    assert link
    invite = invitations.read(link.group(1).rsplit("/", 1)[1], SECRET, 14)
    assert (invite.enquiry_ref, invite.stage, invite.role) == (REF, c.STAGE_CHECKIN, c.ROLE_PERSON)
    assert [(i.enquiry_ref, i.stage) for i in invitation_store.list_invitations()] == [(REF, c.STAGE_CHECKIN)]
    assert any(e.action == "invite" and "stage=checkin" in (e.detail or "")
               for e in audit_store.list_events(per_page=50).items)


def test_send_a_check_in_needs_the_token_and_a_reference(client: Any) -> None:
    page = client.get("/review/invitations").get_data(as_text=True)
    assert client.post("/review/invitations/checkin", data={"enquiry": REF}).status_code == 400
    assert client.post("/review/invitations/checkin", data={"enquiry": "", "csrf_token": csrf(page)}
                       ).status_code == 400
    assert client.post("/review/invitations/checkin", data={"enquiry": "bad ref!", "csrf_token": csrf(page)}
                       ).status_code == 400
    assert invitation_store.list_invitations() == []
