"""Every workspace page renders for a signed-in practitioner, and what it does is audited (no Rasa)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest
from sqlalchemy import select, update

from bot import accounts
from bot import constants as c
from bot.settings import load_settings
from bot.store import audit as audit_store
from bot.store import records, users
from bot.store.db import session_scope
from bot.store.models import Alert, Conversation, Mark
from bot.web import create_app
from tests.privacy_data import make_tracker
from tests.tracker_events import add_events, asked, replied, said

SECRET = "test-secret-key-" + "p" * 40
PASSWORD = "kettle-sunflower-march"
WHO = "pat@example.org"


@pytest.fixture
def client(record_db: str, tmp_path: Path) -> Any:
    settings = load_settings().copy(update={"database_url": record_db, "secret_key": SECRET,
                                            "tracker_store_url": f"sqlite:///{tmp_path / 'tracker.db'}",
                                            "web_session_dir": str(tmp_path / "sessions"),
                                            "duty_alert_webhook_url": "http://127.0.0.1:9/hook",
                                            "public_base_url": "https://chat.example.gov.uk"})
    accounts.add_user(WHO, PASSWORD, users.PRACTITIONER, settings)
    app = create_app(settings, overrides={"TESTING": True})
    browser = app.test_client()
    token = _csrf(browser.get("/review/sign-in").get_data(as_text=True))
    response = browser.post("/review/sign-in", data={"email": WHO, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return browser


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _actions() -> List[str]:
    return [e.action for e in audit_store.list_events(per_page=200).items]


def _a_conversation() -> str:
    records.start_conversation("conv-9", c.STAGE_OUTCOMES, "NR-9", "person")
    records.add_outcomes("conv-9", c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "for him to stop shouting")])
    records.set_flag("conv-9", c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    return "conv-9"


def test_urgent_alerts_come_first_and_can_be_acknowledged(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/").get_data(as_text=True)
    assert "Urgent safety" in page and "NR-9" in page and "waiting" in page
    token = _csrf(page)
    alert_id = re.search(r"/review/alerts/(\d+)/acknowledge", page).group(1)  # type: ignore[union-attr]
    assert client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert "There are no open alerts" in client.get("/review/").get_data(as_text=True)
    assert "acknowledge" in _actions()


def test_enquiries_list_searches_and_filters(client: Any) -> None:
    _a_conversation()
    records.start_conversation("conv-10", c.STAGE_OUTCOMES, "XY-1", "person")
    page = client.get("/review/enquiries?q=nr").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    page = client.get("/review/enquiries?flag=urgent_safety").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    assert client.get("/review/enquiries?page=banana&status=nonsense").status_code == 200


def test_a_conversation_shows_the_record_and_a_code_can_be_corrected(client: Any) -> None:
    cid = _a_conversation()
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "for him to stop shouting" in page and "Urgent safety" in page
    token = _csrf(page)
    response = client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                           data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    assert response.status_code == 303
    (record,) = [r for r in records.export_records() if r["conversation_id"] == cid]
    assert record["outcomes"][0]["code"] == c.ABUSER_STAYS_AWAY
    assert record["outcomes"][0]["own_words"] == "for him to stop shouting", "the words never change"
    assert record["corrections"][0]["from_code"] == c.FEEL_SAFER and record["corrections"][0]["by"] == WHO
    assert {"view", "correct"} <= set(_actions())
    assert client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                       data={"code": "made_up", "csrf_token": token}).status_code == 400
    assert client.get("/review/conversations/nobody").status_code == 404


def test_invitations_make_a_signed_link(client: Any) -> None:
    token = _csrf(client.get("/review/invitations").get_data(as_text=True))
    page = client.post("/review/invitations", data={"enquiry": "NR-2026-0042", "stage": "review",
                                                    "role": "advocate", "csrf_token": token}).get_data(as_text=True)
    assert "https://chat.example.gov.uk/start/" in page and "Copy the link" in page
    assert "invite" in _actions()
    bad = client.post("/review/invitations", data={"enquiry": "", "stage": "review", "role": "advocate",
                                                   "csrf_token": token})
    assert bad.status_code == 400 and "There is a problem" in bad.get_data(as_text=True)


def test_each_form_error_is_the_forms_own_and_sits_at_its_field(client: Any) -> None:
    """The words and the field of each error come from the form (bot/web/workspace/forms.py)."""
    token = _csrf(client.get("/review/invitations").get_data(as_text=True))
    no_ref = client.post("/review/invitations", data={"enquiry": " ", "stage": "review", "role": "advocate",
                                                      "csrf_token": token}).get_data(as_text=True)
    assert "Enter an enquiry reference, like NR-2026-0042" in no_ref and 'id="enquiry-error"' in no_ref
    no_role = client.post("/review/invitations", data={"enquiry": "NR-1", "stage": "review", "role": "boss",
                                                       "csrf_token": token})
    assert no_role.status_code == 400
    assert "Choose who the link is for and what it is for" in no_role.get_data(as_text=True)
    assert 'id="enquiry-error"' not in no_role.get_data(as_text=True), "the reference was right"
    export = client.get("/review/export/download?format=xml&from=yesterday&to=%202026-04-01%20")
    html = export.get_data(as_text=True)
    assert "Choose CSV or JSON" in html and 'href="#from"' in html and 'href="#format"' in html
    assert "Enter the date as year, month and day, like 2026-04-01" in html and 'href="#to"' not in html
    report = client.get("/review/report?to=2026-02-30").get_data(as_text=True)
    assert 'href="#to"' in report and 'href="#from"' not in report


def test_export_streams_the_contract_and_is_audited(client: Any) -> None:
    _a_conversation()
    response = client.get("/review/export/download?format=json&enquiry=NR-9")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data: List[Dict[str, Any]] = json.loads(response.get_data(as_text=True))
    assert data[0]["contract"] == 3 and data[0]["enquiry_ref"] == "NR-9"
    csv = client.get("/review/export/download?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("conversation_id,")
    assert _actions().count("export") == 2
    assert client.get("/review/export/download?format=xml&from=yesterday").status_code == 400


def test_report_page_and_chart(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/report?from=2020-01-01&to=2030-12-31").get_data(as_text=True)
    assert "Asked what they wanted (SG4a)" in page and "Outcomes achieved (SG4a)" in page
    chart = client.get("/review/report/chart.png?from=2020-01-01&to=2030-12-31")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/review/report?from=2026-13-45").status_code == 400
    assert "report" in _actions()


def test_audit_log_is_for_managers(client: Any) -> None:
    assert client.get("/review/audit").status_code == 403


# --- for a busy duty worker ----------------------------------------------------------------------

T = datetime(2026, 7, 1, 14, 15)  # naive UTC: 3:15pm in the UK (summer time)
OPENING = '/start{"stage": "outcomes", "enquiry_ref": "NR-D", "role": "person"}'


def _minutes(n: int) -> datetime:
    return T + timedelta(minutes=n)


@pytest.fixture
def tracker(tmp_path: Path) -> str:
    """The tracker store the client's app reads (the same file)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(url)
    return url


def _danger(tracker: str, safe_first: bool = True) -> str:
    """A conversation: opened, "safe now: yes" pressed and a danger message (in either order), then the
    danger button. The danger message is marked clear and raised the alert."""
    cid = "conv-d"
    records.start_conversation(cid, c.STAGE_OUTCOMES, "NR-D", c.ROLE_PERSON)
    records.save_answer(cid, c.STAGE_OUTCOMES, c.FEELS_SAFE_NOW, c.YES)
    alert_id = records.set_flag(cid, c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    safe_at, danger_at = (_minutes(2), _minutes(3)) if safe_first else (_minutes(3), _minutes(2))
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
        said("/danger", _minutes(4), "m-button", command=True),
    ])
    return cid


def _danger_turn(page: str, message_id: str) -> str:
    match = re.search(rf'<li class="([^"]*)"\s*id="message-{message_id}"', page)
    assert match, f"no turn for {message_id}"
    return match.group(1)


def test_danger_messages_are_highlighted_and_the_alert_links_to_them(client: Any, tracker: str) -> None:
    cid = _danger(tracker)
    alerts = client.get("/review/").get_data(as_text=True)
    assert f'href="/review/conversations/{cid}#message-m-danger"' in alerts
    assert "Go to the message that raised it" in alerts

    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "msp-chat__turn--danger" in _danger_turn(page, "m-danger")
    assert "msp-chat__turn--danger" not in _danger_turn(page, "m-yes")
    assert "rule knife_at_door" in page and "This message raised the alert" in page
    assert 'href="#message-m-danger"' in page  # from the alert at the top
    assert "out-of-hours" not in page

    with session_scope() as session:
        session.execute(update(Alert).values(escalated_at=_minutes(20)))
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Nobody acknowledged it in time: sent to the out-of-hours team Wed 1 Jul 2026, 3:35pm." in page


def test_times_are_uk_time_in_plain_words(client: Any, tracker: str) -> None:
    cid = _danger(tracker)
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wed 1 Jul 2026, 3:15pm" in page  # the opening, 14:15 UTC
    assert "2026-07-01T14:15" not in page and "14:15" not in page
    alerts = client.get("/review/").get_data(as_text=True)
    assert "Raised Wed 1 Jul 2026, 3:18pm." in alerts and "UTC" not in alerts


def test_the_opening_and_presses_read_as_what_happened(client: Any, tracker: str) -> None:
    cid = _danger(tracker)
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
    cid = _danger(tracker, safe_first)
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert said in page


def test_safe_contact_answers_are_shown_beside_the_alert_and_only_named_in_the_list(
        client: Any, tracker: str) -> None:
    cid = _danger(tracker)
    alerts = client.get("/review/").get_data(as_text=True)
    assert "Safe-contact answers" not in alerts
    with session_scope() as session:
        session.execute(update(Conversation).where(Conversation.conversation_id == cid).values(
            contact_safe_to_call=c.YES, contact_when="after 6pm when he is at work",
            contact_number="07700 900123", contact_others_answer=c.NO, contact_answered_at=_minutes(6)))
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
    cid = _a_conversation()
    token = _csrf(client.get(f"/review/conversations/{cid}").get_data(as_text=True))
    response = client.post(f"/review/conversations/{cid}/outcomes/outcomes/0/not-a-wish",
                           data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wish 1 is set aside as not a wish." in page and 'href="#wish-outcomes-0"' in page
    assert f"Set aside as not a wish by {WHO}" in page
    assert "for him to stop shouting" in page, "the words are kept"
    assert "No wishes recorded." in page
    assert "not_a_wish" in _actions()
    again = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "is set aside as not a wish." not in again, "said once"

    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0/not-a-wish", data={"csrf_token": token})
    assert "Wish 1 was already taken away. Nothing was changed." in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)
    assert client.post(f"/review/conversations/{cid}/outcomes/outcomes/7/not-a-wish",
                       data={"csrf_token": token}).status_code == 400


def test_a_code_correction_is_confirmed(client: Any) -> None:
    cid = _a_conversation()
    token = _csrf(client.get(f"/review/conversations/{cid}").get_data(as_text=True))
    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "Wish 1 is now coded “The person who hurt them to stay away”." in page
    client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    assert "Wish 1 already had that code. Nothing was changed." in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)


def test_the_reports_wish_table_has_the_right_headings(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/report").get_data(as_text=True)
    table = page[page.index("What people wanted"):]
    table = table[:table.index("</table>")]
    assert '<th scope="col" class="govuk-table__header">What they wanted</th>' in table
    assert "Answer</th>" not in table and "times each wish was given" not in table
    flags = page[page.index("Flags raised"):]
    assert '<th scope="col" class="govuk-table__header">Flag</th>' in flags and "Records</th>" in flags


def test_workspace_404_and_405_are_workspace_pages(client: Any) -> None:
    missing = client.get("/review/no-such-page")
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Page not found" in text and "Safeguarding workspace" in text and "Sign out" in text
    wrong = client.get("/review/alerts/1/acknowledge")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    text = wrong.get_data(as_text=True)
    assert "This address is for a button in the workspace" in text and "Safeguarding workspace" in text
    chat = client.get("/no-such-page")
    assert chat.status_code == 404 and "Safeguarding workspace" not in chat.get_data(as_text=True)


def test_acknowledging_an_alert_that_does_not_exist_says_so(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/").get_data(as_text=True)
    token = _csrf(page)
    alert_id = re.search(r"/review/alerts/(\d+)/acknowledge", page).group(1)  # type: ignore[union-attr]
    missing = client.post("/review/alerts/99999/acknowledge", data={"csrf_token": token})
    assert missing.status_code == 404 and "Alert not found" in missing.get_data(as_text=True)
    assert "acknowledge" not in _actions()

    client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    assert "Alert acknowledged for NR-9." in client.get("/review/").get_data(as_text=True)
    client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token})
    assert f"was already acknowledged by {WHO}" in client.get("/review/").get_data(as_text=True)


def _worth_a_look(tracker: str, marks: int = 1) -> str:
    """A conversation that carried on after a message marked "worth a look" (and, with marks=2, one more)."""
    cid = "conv-look"
    records.start_conversation(cid, c.STAGE_OUTCOMES, "NR-L", c.ROLE_PERSON)
    found = [("m-look", "scam_in_progress", "reader p 0.52, scam_in_progress", 5),
             ("m-more", "neglect_now", "reader p 0.47, neglect_now", 7)][:marks]
    for message_id, kind, reason, minutes in found:
        records.add_mark(cid, c.STAGE_OUTCOMES, c.MARK_REVIEW, kind, "readers-7", reason, message_id)
        with session_scope() as session:
            session.execute(update(Mark).where(Mark.message_id == message_id).values(at=_minutes(minutes)))
    add_events(tracker, cid, [
        said(OPENING.replace("NR-D", "NR-L"), T, "m-open", command=True),
        asked(c.DESIRED_OUTCOMES, _minutes(4)),
        said("a man on the phone says my bank is closing and wants my card number", _minutes(5), "m-look"),
        said("my carer has not come for three days", _minutes(7), "m-more"),
    ])
    return cid


def test_the_first_page_counts_and_lists_the_messages_worth_a_look(client: Any, tracker: str) -> None:
    assert "No messages to read today." in client.get("/review/").get_data(as_text=True)
    cid = _worth_a_look(tracker, marks=2)
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
    assert "msp-chat__turn--danger" in _danger_turn(conversation, "m-look")  # the link's anchor is there
    marked = conversation[conversation.index('id="marks"'):conversation.index("Transcript")]
    assert "Worth a look" in marked and "Why: A scam happening now (reader p 0.52, scam_in_progress)." in marked
    assert "Reader version readers-7." in marked and "Not marked as read." in marked


def test_a_message_worth_a_look_is_marked_as_read_with_a_confirmation_and_audited(
        client: Any, tracker: str) -> None:
    cid = _worth_a_look(tracker)
    page = client.get("/review/").get_data(as_text=True)
    assert "1 message to read today" in page
    action = re.search(r'action="(/review/marks/(\d+)/read)"', page)
    assert action
    url, mark_id = action.group(1), int(action.group(2))
    assert client.post(url).status_code == 400, "CSRF: a form from elsewhere changes nothing"
    assert "1 message to read today" in client.get("/review/").get_data(as_text=True)
    assert "mark_read" not in _actions()

    token = _csrf(page)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/")
    page = client.get("/review/").get_data(as_text=True)
    assert "Marked as read: the message for NR-L." in page
    assert "No messages to read today." in page and "There are no messages to read." in page
    assert _actions().count("mark_read") == 1
    (event,) = [e for e in audit_store.list_events(per_page=200).items if e.action == "mark_read"]
    assert (event.actor, event.detail) == (WHO, f"mark={mark_id} conversation={cid} stage=outcomes message=m-look")

    conversation = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert f"Read by {WHO}, " in conversation and "Not marked as read." not in conversation

    again = client.post(url, data={"csrf_token": token, "back": "conversation"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/review/conversations/{cid}")
    assert f"This message for NR-L was already read by {WHO}" in client.get(
        f"/review/conversations/{cid}").get_data(as_text=True)
    assert _actions().count("mark_read") == 1


def test_marking_a_message_that_does_not_exist_as_read_says_so(client: Any, tracker: str) -> None:
    _worth_a_look(tracker)
    token = _csrf(client.get("/review/").get_data(as_text=True))
    missing = client.post("/review/marks/99999/read", data={"csrf_token": token})
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Message not found" in text and "nothing was marked as read" in text
    assert "mark_read" not in _actions()
    assert client.get("/review/marks/1/read").status_code == 405
