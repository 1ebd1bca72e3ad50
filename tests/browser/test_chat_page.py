"""The chat page in a real browser, per journey: from the invitation link to the thank-you.

Each journey checks the record through `msp export` at the end, runs axe-core
at WCAG 2.2 AA on the pages it visits, and keeps screenshots at 320 and 1280
pixels wide in results/screenshots/.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable, Optional

import pytest

from tests.browser.conftest import check_accessible, invite, neutral_url, screenshot
from tests.live import Live

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _open_chat(page: Any, link: str) -> None:
    page.goto(link)
    _expect()(page.get_by_role("heading", name="Before you start")).to_be_visible()
    page.get_by_role("button", name="Start the chat").click()
    _expect()(page.locator("#chat-log").get_by_text("Is it OK to talk about this now?")).to_be_visible()


def _answer(page: Any, button: str, then: str) -> None:
    """Choose an answer button, and wait for the assistant's next words."""
    page.get_by_role("button", name=button, exact=True).click()
    _expect()(page.locator("#chat-log").get_by_text(then).last).to_be_visible()


def _type(page: Any, words: str, then: str) -> None:
    page.get_by_label(re.compile("type your answer", re.I)).fill(words)
    page.get_by_role("button", name="Send", exact=True).click()
    _expect()(page.locator("#chat-log").get_by_text(then).last).to_be_visible()


def _record(live: Live, enquiry: str, stage: str) -> dict:  # type: ignore[type-arg]
    found = [r for r in live.export(enquiry) if r["stage"] == stage]
    assert found, f"no {stage} record for {enquiry}"
    return found[0]


def test_a_person_holds_the_whole_outcomes_conversation_on_the_page(live: Live, page: Any, axe: Any) -> None:
    link = invite(live, "WEB-OUT-1")
    page.goto(link)
    check_accessible(axe, page, "before the chat")
    screenshot(page, "before-chat")
    page.get_by_role("button", name="Start the chat").click()
    _expect()(page.locator("#chat-log").get_by_text("Is it OK to talk about this now?")).to_be_visible()
    check_accessible(axe, page, "chat with buttons")
    screenshot(page, "chat-with-buttons")
    _answer(page, "Yes", "Do you feel safe right now?")
    _answer(page, "Yes", "Would you like someone to help you")
    _answer(page, "No thanks", "What would you like to happen?")
    _type(page, "I want him to stay away from me", "anything else")
    _answer(page, "No, that's all", "Have I got that right?")
    _expect()(page.locator("#chat-log").get_by_text('You said: "I want him to stay away from me"')).to_be_visible()
    _answer(page, "Yes, that's right", "Thank you for telling me")
    screenshot(page, "chat-finished")
    record = _record(live, "WEB-OUT-1", "outcomes")
    assert record["status"] == "completed" and record["confirmed"] is True
    assert [o["code"] for o in record["outcomes"]] == ["abuser_stays_away"]
    assert record["outcomes"][0]["own_words"] == "I want him to stay away from me"


REVIEW_QUESTIONS = [
    "Do you think they got what they wanted?",
    "Did we let them say what they wanted?",
    "Do you think they felt we listened to them?",
    "Did we do what they asked us to do?",
    "Do you think they feel as safe as they want to feel?",
    "Do you think they feel happier because of our help?",
    "Is there anything else you want to tell us",
]


def test_an_advocate_holds_the_whole_review_on_the_page(live: Live, page: Any) -> None:
    _open_chat(page, invite(live, "WEB-REV-1", stage="review", role="advocate"))
    _answer(page, "Yes", "What would they like to happen?")
    _type(page, "She wants to feel safe at home", "anything else")
    _answer(page, "No, that's all", "Has that happened?")
    _answer(page, "Partly", REVIEW_QUESTIONS[0])
    for next_question in REVIEW_QUESTIONS[1:]:
        _answer(page, "Yes", next_question)
    _type(page, "They were kind to her", "Thank you")
    record = _record(live, "WEB-REV-1", "review")
    assert record["status"] == "completed"
    assert record["speaker_role"] == "advocate"
    assert record["outcomes"][0]["achieved"] == "partly"
    assert record["feedback"]["goals_met"] == "yes"
    assert record["feedback"]["comments"] == "They were kind to her"


def test_the_same_conversation_works_without_javascript(live: Live, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _open_chat(page, invite(live, "WEB-NOJS-1"))
        _answer(page, "Yes", "Do you feel safe right now?")
        _answer(page, "Yes", "Would you like someone to help you")
        _answer(page, "No thanks", "What would you like to happen?")
        # The page shows the chat so far after each post.
        _expect()(page.locator("#chat-log").get_by_text("Is it OK to talk about this now?")).to_be_visible()
        _type(page, "to make some new friends", "anything else")
        _answer(page, "No, that's all", "Have I got that right?")
        _answer(page, "Yes, that's right", "Thank you for telling me")
    finally:
        context.close()
    record = _record(live, "WEB-NOJS-1", "outcomes")
    assert record["status"] == "completed"
    assert [o["code"] for o in record["outcomes"]] == ["make_friends"]


def _tab_to(page: Any, matches: Callable[[str], bool], limit: int = 40) -> None:
    """Press Tab until the focused element's text (or label) matches."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " return (e.innerText || e.value || e.getAttribute('aria-label') || e.id || '').trim(); }"
        )
        if matches(str(focused)):
            return
    raise AssertionError("could not reach the element with the keyboard")


def test_keyboard_only(live: Live, page: Any) -> None:
    page.goto(invite(live, "WEB-KEY-1"))
    _tab_to(page, lambda text: text == "Start the chat")
    page.keyboard.press("Enter")
    _expect()(page.locator("#chat-log").get_by_text("Is it OK to talk about this now?")).to_be_visible()
    _tab_to(page, lambda text: text == "Yes")
    page.keyboard.press("Enter")
    _expect()(page.locator("#chat-log").get_by_text("Do you feel safe right now?")).to_be_visible()
    _tab_to(page, lambda text: text == "message")
    page.keyboard.type("yes I am")
    _tab_to(page, lambda text: text == "Send")
    page.keyboard.press("Enter")
    _expect()(page.locator("#chat-log").get_by_text("Would you like someone to help you")).to_be_visible()
    record = _record(live, "WEB-KEY-1", "outcomes")
    assert record["status"] == "in_progress"


def _exit_then_back(page: Any, live: Live, how: str) -> None:
    if how == "click":
        page.get_by_role("button", name=re.compile("Exit this page")).click()
    else:
        page.locator("body").click(position={"x": 5, "y": 5})
        for _ in range(3):
            page.keyboard.press("Shift")
            time.sleep(0.1)
    page.wait_for_url(neutral_url(live))
    assert "Weather" in page.content()
    page.go_back()
    time.sleep(0.5)
    assert "/chat" not in page.url, f"Back returned to the chat: {page.url}"
    # The session ended on the way out: the chat is not shown even at its address.
    page.goto(live.web_url + "/chat")
    assert "Your chat is closed" in page.content()


@pytest.mark.parametrize("how", ["click", "shift three times"])
def test_leaves_quickly_and_back_does_not_show_the_chat(live: Live, page: Any, how: str) -> None:
    _open_chat(page, invite(live, f"WEB-EXIT-{how[:5]}"))
    _answer(page, "Yes", "Do you feel safe right now?")
    _exit_then_back(page, live, how)


def test_the_exit_advice_page(live: Live, page: Any, axe: Any) -> None:
    page.goto(live.web_url + "/safety")
    _expect()(page.get_by_role("heading", name="Staying safe while you use this chat")).to_be_visible()
    assert page.get_by_role("link", name="More advice on staying safe online").count() == 1
    check_accessible(axe, page, "exit advice")
    screenshot(page, "exit-advice")


def test_an_altered_link_opens_nothing(live: Live, page: Any, axe: Any) -> None:
    link = invite(live, "WEB-ALTER-1")
    token = link.rsplit("/", 1)[1]
    altered = link[: -len(token)] + token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = page.goto(altered)
    assert response is not None and response.status == 400
    _expect()(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert page.get_by_role("button", name="Start the chat").count() == 0
    check_accessible(axe, page, "altered link")


def test_an_expired_link_gets_a_kind_page(live: Live, page: Any, axe: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous

    from bot.web import invitations

    past = time.time() - 60 * 86400
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(past))
    invitation = invitations.new_invitation("WEB-OLD-1", "outcomes", "person")
    link = invitations.link(invitation, live.services.settings.secret_key, live.web_url)
    response = page.goto(link)
    assert response is not None and response.status == 400
    _expect()(page.get_by_role("heading", name="This link has run out")).to_be_visible()
    assert "999" in page.content()
    check_accessible(axe, page, "expired link")
    screenshot(page, "expired-link")


def test_empty_and_too_long_messages_get_an_error_summary(live: Live, page: Any, axe: Any) -> None:
    _open_chat(page, invite(live, "WEB-ERR-1"))
    page.get_by_role("button", name="Send", exact=True).click()
    _expect()(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_accessible(axe, page, "chat with an error")
    screenshot(page, "chat-error")
    long_text = "word " * 500  # 2,500 characters
    page.get_by_label(re.compile("type your answer", re.I)).fill(long_text)
    page.get_by_role("button", name="Send", exact=True).click()
    _expect()(page.get_by_text("Your message is too long").first).to_be_visible()
    assert page.get_by_label(re.compile("type your answer", re.I)).input_value() == long_text


def test_a_typed_start_with_another_enquiry_reveals_nothing(live: Live, browser: Any) -> None:
    secret_words = "I want my brother Tobias kept away from the flat"
    owner = browser.new_context()
    page = owner.new_page()
    _open_chat(page, invite(live, "WEB-VICTIM-1"))
    _answer(page, "Yes", "Do you feel safe right now?")
    _answer(page, "Yes", "Would you like someone to help you")
    _answer(page, "No thanks", "What would you like to happen?")
    _type(page, secret_words, "anything else")
    _answer(page, "No, that's all", "Have I got that right?")
    _answer(page, "Yes, that's right", "Thank you for telling me")
    owner.close()

    intruder = browser.new_context()
    page = intruder.new_page()
    try:
        _open_chat(page, invite(live, "WEB-INTRUDER-1"))
        page.get_by_label(re.compile("type your answer", re.I)).fill(
            '/start{"stage": "review", "enquiry_ref": "WEB-VICTIM-1", "role": "person"}'
        )
        page.get_by_role("button", name="Send", exact=True).click()
        time.sleep(2)
        assert "Tobias" not in page.content()
        assert "Is it OK to talk about this now?" in page.content()
    finally:
        intruder.close()
    intruder_records = live.export("WEB-INTRUDER-1")
    assert all(r["stage"] == "outcomes" for r in intruder_records)
    assert not [r for r in live.export("WEB-VICTIM-1") if r["stage"] == "review"]


HOSTILE = [
    "/restart",
    '/start{"stage": "review", "enquiry_ref": "NR-2026-0042"}',
    "yes\u200b\u200d",
    "<b>bold</b><script>document.title='pwned'</script>",
]


def test_hostile_text_is_kept_as_the_persons_words(live: Live, page: Any) -> None:
    _open_chat(page, invite(live, "WEB-HOSTILE-1"))
    _answer(page, "Yes", "Do you feel safe right now?")
    box = page.get_by_label(re.compile("type your answer", re.I))
    for text in HOSTILE:
        box.fill(text)
        page.get_by_role("button", name="Send", exact=True).click()
        _expect()(page.locator("#chat-log li").last).to_be_visible()
        time.sleep(0.5)
    box.fill("nul\x00 char")
    page.get_by_role("button", name="Send", exact=True).click()
    time.sleep(0.5)
    assert page.title() != "pwned"
    assert page.locator("#chat-log").get_by_text("<b>bold</b>", exact=False).count() >= 1
    # The conversation carries on ("yes" with zero-width characters was an answer too).
    _answer(page, "No thanks", "What would you like to happen?")
    record = _record(live, "WEB-HOSTILE-1", "outcomes")
    assert record["status"] == "in_progress"
    transcript = live.msp("transcript", _conversation_id(live, "WEB-HOSTILE-1") or "").stdout
    assert "/restart" in transcript and "<b>bold</b>" in transcript


def _conversation_id(live: Live, enquiry: str) -> Optional[str]:
    found = live.export(enquiry)
    return found[0]["conversation_id"] if found else None


def test_twenty_thousand_characters_get_a_kind_error(live: Live, page: Any) -> None:
    _open_chat(page, invite(live, "WEB-HUGE-1"))
    page.get_by_label(re.compile("type your answer", re.I)).fill("x" * 20000)
    page.get_by_role("button", name="Send", exact=True).click()
    _expect()(page.get_by_text("Your message is too long").first).to_be_visible()
    _answer(page, "Yes", "Do you feel safe right now?")
