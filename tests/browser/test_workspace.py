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
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from tests.browser.conftest import check_accessible, invite, screenshot
from tests.live import Live

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EMAIL = "duty.manager@council.example"
PASSWORD = "heron-quarry-lantern-42"


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _add_user(live: Live) -> None:
    subprocess.run([sys.executable, "-m", "bot.cli", "user", "add", EMAIL, "--role", "manager"],
                   input=PASSWORD + "\n", cwd=PROJECT_ROOT, env=live.env, capture_output=True, text=True,
                   timeout=60, check=True)


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

    # 1. Urgent first: the alert the chat just raised, linked to its conversation.
    _expect()(page.get_by_role("heading", name="Urgent alerts", level=1)).to_be_visible()
    _expect()(page.get_by_role("link", name="DAY-1")).to_be_visible()
    check_accessible(axe, page, "workspace: urgent alerts")
    screenshot(page, "workspace-alerts")
    page.get_by_role("button", name=re.compile("Acknowledge.*DAY-1")).click()
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

    # 3. Correct a code: the words stay, both codes are kept.
    page.get_by_label("Correct the code").first.select_option("protect_myself")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    _expect()(page.get_by_text("Code corrections")).to_be_visible()
    record = [r for r in live.export("DAY-1") if r["stage"] == "outcomes"][0]
    assert record["outcomes"][0]["own_words"] == "I want to feel safe in my own home"
    assert record["corrections"][0]["to_code"] == "protect_myself"
    assert record["alerts"][0]["acknowledged_by"] == EMAIL

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
    assert '"contract": 2' in download.value.path().read_text()
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
