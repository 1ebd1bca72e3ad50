"""The enquiries, a conversation (its record, transcript, danger and times), and corrections to a wish."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from bot import constants as c
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation
from tests.web.workspace.views.helpers import (
    WHO,
    a_conversation,
    a_danger_conversation,
    actions,
    at_minute,
    csrf,
    danger_turn,
)


def test_enquiries_list_searches_and_filters(client: Any) -> None:
    a_conversation()
    records.start_conversation("conv-10", c.STAGE_OUTCOMES, "XY-1", "person")
    page = client.get("/review/enquiries?q=nr").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    page = client.get("/review/enquiries?flag=urgent_safety").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    assert client.get("/review/enquiries?page=banana&status=nonsense").status_code == 200


def test_a_conversation_shows_the_record_and_a_code_can_be_corrected(client: Any) -> None:
    cid = a_conversation()
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "for him to stop shouting" in page and "Urgent safety" in page
    token = csrf(page)
    response = client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                           data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    assert response.status_code == 303
    (record,) = [r for r in records.export_records() if r["conversation_id"] == cid]
    assert record["outcomes"][0]["code"] == c.ABUSER_STAYS_AWAY
    assert record["outcomes"][0]["own_words"] == "for him to stop shouting", "the words never change"
    assert record["corrections"][0]["from_code"] == c.FEEL_SAFER and record["corrections"][0]["by"] == WHO
    assert {"view", "correct"} <= set(actions())
    assert client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                       data={"code": "made_up", "csrf_token": token}).status_code == 400
    assert client.get("/review/conversations/nobody").status_code == 404


def test_danger_messages_are_highlighted_and_the_alert_links_to_them(client: Any, tracker: str) -> None:
    cid = a_danger_conversation(tracker)
    alerts = client.get("/review/").get_data(as_text=True)
    assert f'href="/review/conversations/{cid}#message-m-danger"' in alerts
    assert "Go to the message that raised it" in alerts

    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "msp-chat__turn--danger" in danger_turn(page, "m-danger")
    assert "msp-chat__turn--danger" not in danger_turn(page, "m-yes")
    assert "rule knife_at_door" in page and "This message raised the alert" in page
    assert 'href="#message-m-danger"' in page  # from the alert at the top
    assert "out-of-hours" not in page

    with session_scope() as session:
        session.execute(update(Alert).values(escalated_at=at_minute(20)))
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Nobody acknowledged it in time: sent to the out-of-hours team Wed 1 Jul 2026, 3:35pm." in page


def test_times_are_uk_time_in_plain_words(client: Any, tracker: str) -> None:
    cid = a_danger_conversation(tracker)
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wed 1 Jul 2026, 3:15pm" in page  # the opening, 14:15 UTC
    assert "2026-07-01T14:15" not in page and "14:15" not in page
    alerts = client.get("/review/").get_data(as_text=True)
    assert "Raised Wed 1 Jul 2026, 3:18pm." in alerts and "UTC" not in alerts


def test_the_opening_and_presses_read_as_what_happened(client: Any, tracker: str) -> None:
    cid = a_danger_conversation(tracker)
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Conversation opened from an invitation (outcomes, the person)" in page
    assert "/start" not in page and "enquiry_ref" not in page
    assert f'<span class="msp-muted">(pressed)</span> {c.ALWAYS_BUTTONS["/danger"]}' in page
    assert '<span class="msp-muted">(pressed)</span> Yes' in page
    assert "/danger" not in page


@pytest.mark.parametrize("safe_first, said", [
    (True, "Yes (said at 3:17pm, before the danger message at 3:18pm)"),
    (False, "Yes (said at 3:18pm, after the danger message at 3:17pm)"),
])
def test_safe_now_yes_beside_an_urgent_flag_says_which_came_later(client: Any, tracker: str, safe_first: bool,
                                                                   said: str) -> None:
    cid = a_danger_conversation(tracker, safe_first)
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert said in page


def test_safe_contact_answers_are_shown_beside_the_alert_and_only_named_in_the_list(
        client: Any, tracker: str) -> None:
    cid = a_danger_conversation(tracker)
    alerts = client.get("/review/").get_data(as_text=True)
    assert "Safe-contact answers" not in alerts
    with session_scope() as session:
        session.execute(update(Conversation).where(Conversation.conversation_id == cid).values(
            contact_safe_to_call=c.YES, contact_when="after 6pm when he is at work",
            contact_number="07700 900123", contact_others_answer=c.NO, contact_answered_at=at_minute(6)))
    alerts = client.get("/review/").get_data(as_text=True)
    assert f'href="/review/conversations/{cid}#safe-contact">Safe-contact answers' in alerts
    assert "07700 900123" not in alerts and "after 6pm" not in alerts, "the list never holds their words"
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    section = page[page.index('id="safe-contact"'):page.index("Transcript")]
    for words in ("after 6pm when he is at work", "07700 900123", "Might someone else answer",
                  "If the call cannot be taken", "Not answered"):
        assert words in section
    assert page.index('id="alerts"') < page.index('id="safe-contact"')


def test_a_junk_wish_is_set_aside_with_a_confirmation_and_kept(client: Any) -> None:
    cid = a_conversation()
    token = csrf(client.get(f"/review/conversations/{cid}").get_data(as_text=True))
    response = client.post(f"/review/conversations/{cid}/outcomes/outcomes/0/not-a-wish",
                           data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wish 1 is set aside as not a wish." in page and 'href="#wish-outcomes-0"' in page
    assert f"Set aside as not a wish by {WHO}" in page
    assert "for him to stop shouting" in page, "the words are kept"
    assert "No wishes recorded." in page
    assert "not_a_wish" in actions()
    again = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "is set aside as not a wish." not in again, "said once"

    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0/not-a-wish", data={"csrf_token": token})
    assert "Wish 1 was already taken away. Nothing was changed." in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)
    assert client.post(f"/review/conversations/{cid}/outcomes/outcomes/7/not-a-wish",
                       data={"csrf_token": token}).status_code == 400


def test_a_code_correction_is_confirmed(client: Any) -> None:
    cid = a_conversation()
    token = csrf(client.get(f"/review/conversations/{cid}").get_data(as_text=True))
    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wish 1 is now coded “The person who hurt them to stay away”." in page
    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    assert "Wish 1 already had that code. Nothing was changed." in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)
