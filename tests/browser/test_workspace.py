"""A practitioner's whole day in the workspace, in a real browser, against the real servers.

A person raises an urgent alert through the chat page; the practitioner signs
in, sees it first, acknowledges it, reads the transcript, corrects a code,
makes an invitation and opens it in a second browser, exports, reads the
report; then the manager checks that each step is in the audit log.
axe-core runs on every workspace page; screenshots go to results/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot import constants as c
from bot.settings import PROJECT_ROOT
from bot.store import db, records
from bot.store.models import Alert, Conversation, Mark, utcnow
from tests.browser.conftest import check_accessible, invite, screenshot
from tests.live import Live
from tests.tracker_events import add_events, asked, replied, said

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EMAIL = "duty.manager@council.example"
PASSWORD = "heron-quarry-lantern-42"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _add_user(live: Live, email: str = EMAIL) -> None:
    subprocess.run([sys.executable, "-m", "bot.cli", "user", "add", email, "--role", "manager"],
                   input=PASSWORD + "\n", cwd=PROJECT_ROOT, env=live.env, capture_output=True, text=True,
                   timeout=60, check=True)


def _sign_in(page: Any, live: Live, email: str) -> None:
    page.goto(live.web_url + "/review/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _raise_alert_through_the_chat(live: Live, browser: Any) -> str:
    context = browser.new_context()
    page = context.new_page()
    page.goto(invite(live, "DAY-1"))
    page.get_by_role("button", name="Start the chat").click()
    page.locator("#chat-log").get_by_text("Is it OK to talk about this now?").wait_for()
    page.get_by_role("button", name="Yes", exact=True).click()
    page.locator("#chat-log").get_by_text("Do you feel safe right now?").wait_for()
    page.get_by_label(re.compile("type your answer", re.I)).fill("no, he is hitting me and I want him to stay away")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#chat-log").get_by_text("I am sending an urgent message to the team now").wait_for()
    page.locator("#chat-log").get_by_text("Is it safe for the team to phone you?").wait_for()
    page.get_by_role("button", name="No", exact=True).click()
    page.get_by_role("button", name="Carry on", exact=True).click()
    page.locator("#chat-log").get_by_text("Would you like someone to help you").wait_for()
    page.get_by_role("button", name="No thanks", exact=True).click()
    page.locator("#chat-log").get_by_text("What would you like to happen?").wait_for()
    page.get_by_label(re.compile("type your answer", re.I)).fill("I want to feel safe in my own home")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#chat-log").get_by_text("anything else").last.wait_for()
    context.close()
    records = live.export("DAY-1")
    assert records and records[0]["flags"]["urgent_safety"] is True
    return str(records[0]["conversation_id"])


def test_a_practitioners_day(live: Live, browser: Any, axe: Any) -> None:
    _add_user(live)
    conversation_id = _raise_alert_through_the_chat(live, browser)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(live.web_url + "/review/")
    assert "/review/sign-in" in page.url, "the workspace needs sign-in"
    check_accessible(axe, page, "workspace: sign in")
    screenshot(page, "workspace-sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # 1. Urgent first: the alert the chat just raised, linked to its conversation and to the message.
    _expect()(page.get_by_role("heading", name="Urgent alerts", level=1)).to_be_visible()
    _expect()(page.get_by_role("link", name="DAY-1", exact=True)).to_be_visible()
    _expect()(page.get_by_text(re.compile(r"Raised (today|yesterday), \d{1,2}:\d\d[ap]m\.")).first).to_be_visible()
    check_accessible(axe, page, "workspace: urgent alerts")
    screenshot(page, "workspace-alerts")
    page.get_by_role("link", name=re.compile("Go to the message that raised it.*DAY-1")).click()
    assert "#message-" in page.url
    danger = page.locator(".msp-chat__turn--danger:target")
    _expect()(danger).to_contain_text("he is hitting me")
    _expect()(danger).to_contain_text("Danger")
    _expect()(page.get_by_text("Conversation opened from an invitation (outcomes, the person)")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name=re.compile("Acknowledge.*DAY-1")).click()
    _expect()(page.get_by_text("Alert acknowledged for DAY-1.")).to_be_visible()
    _expect()(page.get_by_role("link", name="DAY-1")).to_have_count(0)

    # 2. Enquiries, then the conversation: transcript and record side by side.
    page.get_by_role("link", name="Enquiries").click()
    page.get_by_label("Enquiry reference").fill("DAY-1")
    page.get_by_role("button", name="Search").click()
    check_accessible(axe, page, "workspace: enquiries")
    screenshot(page, "workspace-enquiries")
    page.get_by_role("link", name="DAY-1").first.click()
    _expect()(page.get_by_role("heading", name="Transcript")).to_be_visible()
    _expect()(page.get_by_text("I want to feel safe in my own home").first).to_be_visible()
    check_accessible(axe, page, "workspace: conversation")
    screenshot(page, "workspace-conversation")

    # 3. Correct a code: the words stay, both codes are kept, and the page says what was done.
    page.get_by_label("Correct the code").first.select_option("protect_myself")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    _expect()(page.get_by_text(re.compile(r"Wish \d+ is now coded"))).to_be_visible()
    _expect()(page.get_by_text("Code corrections")).to_be_visible()
    record = [r for r in live.export("DAY-1") if r["stage"] == "outcomes"][0]
    assert record["outcomes"][0]["own_words"] == "I want to feel safe in my own home"
    assert record["corrections"][0]["to_code"] == "protect_myself"
    assert record["alerts"][0]["acknowledged_by"] == EMAIL

    # A wish that is not one is set aside: kept with its words, shown apart, confirmed.
    page.get_by_role("button", name=re.compile("^Not a wish")).first.click()
    _expect()(page.get_by_text(re.compile(r"Wish \d+ is set aside as not a wish\."))).to_be_visible()
    _expect()(page.get_by_role("heading", name="Taken away or set aside")).to_be_visible()
    _expect()(page.get_by_text(f"Set aside as not a wish by {EMAIL}")).to_be_visible()
    _expect()(page.get_by_text("I want to feel safe in my own home").first).to_be_visible()
    check_accessible(axe, page, "workspace: conversation after a correction")
    screenshot(page, "workspace-not-a-wish")

    # An address the workspace does not have gets a workspace page.
    page.goto(live.web_url + "/review/no-such-page")
    _expect()(page.get_by_role("heading", name="Page not found")).to_be_visible()
    _expect()(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()
    check_accessible(axe, page, "workspace: page not found")

    # 4. An invitation, opened in a second browser.
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("Enquiry reference").fill("DAY-2")
    page.get_by_label("The person").check()
    page.get_by_role("button", name="Make the link").click()
    link = page.locator("#invitation-link").input_value()
    assert link.startswith(live.web_url + "/start/")
    check_accessible(axe, page, "workspace: invitations")
    screenshot(page, "workspace-invitations")
    second = browser.new_context()
    other = second.new_page()
    other.goto(link)
    _expect()(other.get_by_role("heading", name="Before you start")).to_be_visible()
    second.close()

    # 5. Export and report.
    page.get_by_role("link", name="Export").click()
    check_accessible(axe, page, "workspace: export")
    page.get_by_label("Enquiry reference (optional)").fill("DAY-1")
    page.get_by_label("JSON").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert '"contract": 4' in download.value.path().read_text()
    page.get_by_role("link", name="Report").click()
    page.get_by_label("From").fill("2020-01-01")
    page.get_by_label("To").fill("2030-12-31")
    page.get_by_role("button", name="Show").click()
    _expect()(page.get_by_text("Outcomes achieved (SG4a)")).to_be_visible()
    check_accessible(axe, page, "workspace: report")
    screenshot(page, "workspace-report")

    # 6. The enquiry is erased (a manager, behind a confirmation page): nothing of it is left.
    page.get_by_role("link", name="Enquiries").click()
    page.get_by_label("Enquiry reference").fill("DAY-1")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="DAY-1").first.click()
    page.get_by_role("link", name="Erase this enquiry").click()
    _expect()(page.get_by_role("heading", name="Erase this enquiry")).to_be_visible()
    check_accessible(axe, page, "workspace: erase")
    screenshot(page, "workspace-erase")
    page.get_by_role("button", name="Erase").click()
    _expect()(page.get_by_text("There is a problem")).to_be_visible()  # not typed back: nothing erased
    assert live.export("DAY-1")
    page.get_by_label("To confirm, type the enquiry reference").fill("DAY-1")
    page.get_by_role("button", name="Erase").click()
    _expect()(page.get_by_role("heading", name="Erased")).to_be_visible()
    check_accessible(axe, page, "workspace: erased")
    screenshot(page, "workspace-erased")
    assert live.export("DAY-1") == []

    # 7. The manager reads the audit log: every step is there, with the address.
    page.get_by_role("link", name="Audit").click()
    check_accessible(axe, page, "workspace: audit")
    screenshot(page, "workspace-audit")
    rows = page.locator("table.govuk-table tbody tr").all_inner_texts()
    text = "\n".join(rows)
    for action in ("sign_in", "acknowledge", "view", "correct", "invite", "export", "report", "erase"):
        assert re.search(rf"{EMAIL}\s+{action}\b", text), f"no {action} entry by {EMAIL}"
    assert "127.0.0.1" in text
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "workspace-day-audit.txt").write_text(text + "\n")
    assert conversation_id in text

    page.get_by_role("button", name="Sign out").click()
    page.goto(live.web_url + "/review/enquiries")
    assert "/review/sign-in" in page.url
    context.close()


def _danger_conversation(live: Live) -> str:
    """Written straight into the live stack's stores (no chat, no model): an opening, "safe now: yes"
    pressed, then a danger message that was marked and raised the alert, then the danger button;
    a junk wish and a real one; the person's safe-contact answers; later a message marked worth a look."""
    cid, now = "duty-danger-1", utcnow() - timedelta(minutes=10)
    settings = live.services.settings
    before = db.configured_url()
    db.configure(settings.database_url)
    try:
        records.start_conversation(cid, c.STAGE_OUTCOMES, "DUTY-1", c.ROLE_PERSON)
        records.save_answer(cid, c.STAGE_OUTCOMES, c.FEELS_SAFE_NOW, c.YES)
        records.add_outcomes(cid, c.STAGE_OUTCOMES, [(c.SOMETHING_ELSE, "hello is this thing on"),
                                                     (c.FEEL_SAFER, "for him to stop coming round")])
        alert_id = records.set_flag(cid, c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
        with db.session_scope() as session:
            session.execute(update(Alert).where(Alert.id == alert_id).values(
                message_id="m-danger", raised_at=now + timedelta(minutes=2)))
            pk = session.execute(select(Conversation.id).where(Conversation.conversation_id == cid)).scalar_one()
            session.add(Mark(conversation_pk=pk, at=now + timedelta(minutes=2), tier=c.MARK_CLEAR,
                             kind="weapon", reason="rule knife_at_door", message_id="m-danger",
                             reader_version="browser-test"))
            session.add(Mark(conversation_pk=pk, at=now + timedelta(minutes=5), tier=c.MARK_REVIEW,
                             kind="exploitation_slavery", reason="reader p 0.44, exploitation_slavery",
                             message_id="m-look", reader_version="browser-test"))
            session.execute(update(Conversation).where(Conversation.id == pk).values(
                contact_safe_to_call=c.YES, contact_when="weekday mornings, he is at work",
                contact_number="07700 900456", contact_others_answer=c.NOT_SURE,
                contact_if_missed="leave no message, I will ring back", contact_answered_at=now + timedelta(minutes=4)))
    finally:
        if before:
            db.configure(before)
    add_events(settings.tracker_store_url, cid, [
        said('/start{"stage": "outcomes", "enquiry_ref": "DUTY-1", "role": "person"}', now, "m-open",
             command=True),
        asked(c.FEELS_SAFE_NOW, now + timedelta(minutes=1)),
        replied("Do you feel safe right now?", now + timedelta(minutes=1), ["Yes", "No", "Not sure"]),
        said("Yes", now + timedelta(minutes=1, seconds=20), "m-yes", metadata={c.PRESS_KEY: "/affirm"}),
        asked(c.DESIRED_OUTCOMES, now + timedelta(minutes=1, seconds=21)),
        said("he is outside with a knife", now + timedelta(minutes=2), "m-danger"),
        said("/danger", now + timedelta(minutes=3), "m-button", command=True),
        said("my nephew keeps my bank card and gives me a little money", now + timedelta(minutes=5), "m-look"),
    ])
    return cid


def test_a_duty_worker_reads_a_danger_conversation(live: Live, browser: Any, axe: Any) -> None:
    email = "duty.worker@council.example"
    _add_user(live, email)
    cid = _danger_conversation(live)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    _sign_in(page, live, email)

    # The alert: when (UK time, plain words), a link to the message, and only that safe-contact answers exist.
    _expect()(page.get_by_role("link", name="DUTY-1", exact=True)).to_be_visible()
    _expect()(page.get_by_text(re.compile(r"Raised (today|yesterday), \d{1,2}:\d\d[ap]m\.")).first).to_be_visible()
    _expect()(page.get_by_role("link", name=re.compile("Safe-contact answers.*DUTY-1"))).to_be_visible()
    assert "07700 900456" not in page.content()
    # Beside it, the messages worth a look, counted at the top (other tests' chats may add to the count).
    _expect()(page.get_by_role("link", name=re.compile(r"^\d+ messages? to read today$"))).to_be_visible()
    look = page.locator("#worth-a-look ~ .msp-alert", has_text="DUTY-1")
    _expect()(look).to_contain_text("Why: Exploitation or modern slavery (reader p 0.44, exploitation_slavery).")
    _expect()(look).to_contain_text("Reader version browser-test")
    assert "bank card" not in page.content()
    check_accessible(axe, page, "workspace: urgent alerts with links")
    screenshot(page, "workspace-alerts-links")

    # Straight to the message: highlighted, with why, and the safe-contact answers beside the alert.
    page.get_by_role("link", name=re.compile("Go to the message that raised it.*DUTY-1")).click()
    assert page.url.endswith(f"/review/conversations/{cid}#message-m-danger")
    danger = page.locator(".msp-chat__turn--danger:target")
    _expect()(danger).to_contain_text("he is outside with a knife")
    _expect()(danger).to_contain_text("rule knife_at_door")
    _expect()(page.get_by_text("Conversation opened from an invitation (outcomes, the person)")).to_be_visible()
    _expect()(page.get_by_text(c.ALWAYS_BUTTONS["/danger"])).to_be_visible()
    assert "/danger" not in page.locator("main").inner_text()
    _expect()(page.get_by_text(re.compile(r"Yes \(said at .+, before the danger message at .+\)"))).to_be_visible()
    contact = page.locator("#safe-contact ~ dl")
    _expect()(contact).to_contain_text("weekday mornings, he is at work")
    _expect()(contact).to_contain_text("07700 900456")
    check_accessible(axe, page, "workspace: danger conversation")
    screenshot(page, "workspace-danger-conversation")

    # The junk wish is set aside: confirmed, shown apart with its words, no longer a wish.
    page.get_by_role("button", name=re.compile(r"^Not a wish – set wish 1 aside$")).click()
    _expect()(page.get_by_text("Wish 1 is set aside as not a wish.")).to_be_visible()
    _expect()(page.get_by_text(f"Set aside as not a wish by {email}")).to_be_visible()
    _expect()(page.get_by_text("hello is this thing on")).to_be_visible()
    check_accessible(axe, page, "workspace: a wish set aside")
    screenshot(page, "workspace-wish-set-aside")

    # Worth a look: straight to the message, then back to mark it as read.
    page.goto(live.web_url + "/review/")
    page.get_by_role("link", name=re.compile(r"^Go to the message for DUTY-1, marked")).click()
    assert page.url.endswith(f"/review/conversations/{cid}#message-m-look")
    _expect()(page.locator(".msp-chat__turn--danger:target")).to_contain_text("keeps my bank card")
    _expect()(page.locator("#marks + .govuk-grid-row")).to_contain_text("Worth a look")
    _expect()(page.locator("#marks + .govuk-grid-row")).to_contain_text("Not marked as read.")
    page.go_back()
    page.get_by_role("button", name=re.compile(r"^Mark as read the message for DUTY-1")).click()
    _expect()(page.get_by_text("Marked as read: the message for DUTY-1.")).to_be_visible()
    _expect()(page.get_by_role("button", name=re.compile(r"^Mark as read the message for DUTY-1"))).to_have_count(0)
    check_accessible(axe, page, "workspace: a message worth a look marked as read")
    screenshot(page, "workspace-worth-a-look-read")

    # Pages the workspace does not have are workspace pages.
    page.goto(live.web_url + "/review/no-such-page")
    _expect()(page.get_by_role("heading", name="Page not found")).to_be_visible()
    _expect()(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()
    check_accessible(axe, page, "workspace: page not found")
    page.goto(live.web_url + "/review/alerts/1/acknowledge")
    _expect()(page.get_by_role("heading", name="Sorry, that did not work")).to_be_visible()
    check_accessible(axe, page, "workspace: wrong method")
    context.close()
