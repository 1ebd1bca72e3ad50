"""The first page: urgent alerts first, then the messages worth a look; acknowledging and marking as read."""

from __future__ import annotations

import re
from typing import Any

from bot.store import audit as audit_store
from tests.web.workspace.views.helpers import WHO, a_conversation, actions, csrf, danger_turn, worth_a_look


def test_urgent_alerts_come_first_and_can_be_acknowledged(client: Any) -> None:
    a_conversation()
    page = client.get("/review/").get_data(as_text=True)
    assert "Urgent safety" in page and "NR-9" in page and "waiting" in page
    token = csrf(page)
    alert_id = re.search(r"/review/alerts/(\d+)/acknowledge", page).group(1)  # type: ignore[union-attr]
    assert client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert "There are no open alerts" in client.get("/review/").get_data(as_text=True)
    assert "acknowledge" in actions()


def test_acknowledging_an_alert_that_does_not_exist_says_so(client: Any) -> None:
    a_conversation()
    page = client.get("/review/").get_data(as_text=True)
    token = csrf(page)
    alert_id = re.search(r"/review/alerts/(\d+)/acknowledge", page).group(1)  # type: ignore[union-attr]
    missing = client.post("/review/alerts/99999/acknowledge", data={"csrf_token": token})
    assert missing.status_code == 404 and "Alert not found" in missing.get_data(as_text=True)
    assert "acknowledge" not in actions()

    client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    assert "Alert acknowledged for NR-9." in client.get("/review/").get_data(as_text=True)
    client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    assert f"was already acknowledged by {WHO}" in client.get("/review/").get_data(as_text=True)


def test_the_first_page_counts_and_lists_the_messages_worth_a_look(client: Any, tracker: str) -> None:
    assert "No messages to read today." in client.get("/review/").get_data(as_text=True)
    cid = worth_a_look(tracker, marks=2)
    page = client.get("/review/").get_data(as_text=True)
    assert '<a class="govuk-link" href="#worth-a-look">2 messages to read today</a>.' in page
    look = page[page.index('id="worth-a-look"'):]
    assert look.index("m-more") < look.index("m-look"), "the newest first"
    assert f'href="/review/conversations/{cid}#message-m-look"' in look
    assert "Marked Wed 1 Jul 2026, 3:20pm." in look
    assert "Why: A scam happening now (reader p 0.52, scam_in_progress)." in look
    assert "Reader version readers-7" in look and "Mark as read" in look
    assert "bank" not in page and "carer" not in page, "never the person's words"
    assert page.index('id="to-read-count"') < page.index("There are no open alerts")

    conversation = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "msp-chat__turn--danger" in danger_turn(conversation, "m-look")  # the link's anchor is there
    marked = conversation[conversation.index('id="marks"'):conversation.index("Transcript")]
    assert "Worth a look" in marked and "Why: A scam happening now (reader p 0.52, scam_in_progress)." in marked
    assert "Reader version readers-7." in marked and "Not marked as read." in marked


def test_a_message_worth_a_look_is_marked_as_read_with_a_confirmation_and_audited(
        client: Any, tracker: str) -> None:
    cid = worth_a_look(tracker)
    page = client.get("/review/").get_data(as_text=True)
    assert "1 message to read today" in page
    action = re.search(r'action="(/review/marks/(\d+)/read)"', page)
    assert action
    url, mark_id = action.group(1), int(action.group(2))
    assert client.post(url).status_code == 400, "CSRF: a form from elsewhere changes nothing"
    assert "1 message to read today" in client.get("/review/").get_data(as_text=True)
    assert "mark_read" not in actions()

    token = csrf(page)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/")
    page = client.get("/review/").get_data(as_text=True)
    assert "Marked as read: the message for NR-L." in page
    assert "No messages to read today." in page and "There are no messages to read." in page
    assert actions().count("mark_read") == 1
    (event,) = [e for e in audit_store.list_events(per_page=200).items if e.action == "mark_read"]
    assert (event.actor, event.detail) == (WHO, f"mark={mark_id} conversation={cid} stage=outcomes message=m-look")

    conversation = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert f"Read by {WHO}, " in conversation and "Not marked as read." not in conversation

    again = client.post(url, data={"csrf_token": token, "back": "conversation"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/review/conversations/{cid}")
    assert f"This message for NR-L was already read by {WHO}" in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)
    assert actions().count("mark_read") == 1


def test_marking_a_message_that_does_not_exist_as_read_says_so(client: Any, tracker: str) -> None:
    worth_a_look(tracker)
    token = csrf(client.get("/review/").get_data(as_text=True))
    missing = client.post("/review/marks/99999/read", data={"csrf_token": token})
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Message not found" in text and "nothing was marked as read" in text
    assert "mark_read" not in actions()
    assert client.get("/review/marks/1/read").status_code == 405
