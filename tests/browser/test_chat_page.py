"""The chat page in a real browser, per journey: from the invitation link to the thank-you.

Each journey checks the record through `msp export` at the end, runs axe-core
at WCAG 2.2 AA on the pages it visits, and keeps screenshots at 320 and 1280
pixels wide in results/screenshots/.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable, Dict, Optional

import pytest

from tests.browser.conftest import PHONE, SCREENSHOTS, check_accessible, invite, neutral_url, screenshot
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
        page.wait_for_load_state("load")  # the style sheets decide which exit button shows (link or form)
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
    _expect()(page.get_by_text("key 3 times").first).to_be_visible()  # the script runs here: Shift works
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
    # The conversation carries on: an answer offered now gets a reply. (Which question it is
    # depends on how the actions read the messages: at "Do you feel safe right now?" anything
    # but a plain yes gets the gentle check.)
    lines = page.locator("#chat-log li").count()
    page.locator("#chat-actions button").first.click()
    _expect()(page.locator("#chat-log li")).not_to_have_count(lines)
    _expect()(page.locator("#chat-log li.msp-chat__turn--assistant").last).to_be_visible()
    assert page.locator("#chat-log li").count() >= lines + 2, "the press, and the assistant's answer"
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


# --- Issue 15: the help must be seen; leaving must really leave -----------------------------------

DANGER_WORDS = "he's back and he's got a knife"


def _phone(browser: Any, javascript: bool, init_script: str = "") -> Any:
    """A 320 x 640 phone screen, with JavaScript on or off."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    if init_script:
        context.add_init_script(init_script)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    return opened


def _in_view(page: Any, target: Any, what: str) -> None:
    """`target` is wholly on the screen, and nothing sticky (the exit button) lies over it."""
    box = target.bounding_box()
    assert box is not None, f"{what} is not on the page"
    height = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{what} is off the screen: {box}"
    for sticky in page.locator(".govuk-exit-this-page").all():
        cover = sticky.bounding_box()
        if cover is None or cover["width"] == 0:
            continue
        overlaps_x = box["x"] < cover["x"] + cover["width"] and cover["x"] < box["x"] + box["width"]
        overlaps_y = box["y"] < cover["y"] + cover["height"] and cover["y"] < box["y"] + box["height"]
        assert not (overlaps_x and overlaps_y), f"the exit button covers {what}: {box} under {cover}"


def _line_with(page: Any, words: str) -> Any:
    """The newest chat line holding `words`."""
    return page.locator("#chat-log li").filter(has_text=words).last


def _focused_turn_text(page: Any) -> str:
    return str(page.evaluate(
        "() => { const e = document.activeElement; return e && e.closest('#chat-log li') ?"
        " e.closest('#chat-log li').innerText : ''; }"
    ))


def _phone_shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_help_for_danger_is_in_view(live: Live, browser: Any, axe: Any, javascript: bool) -> None:
    page = _phone(browser, javascript)
    try:
        _open_chat(page, invite(live, f"WEB-PHONE-DANGER-{int(javascript)}"))
        _answer(page, "Yes", "Do you feel safe right now?")
        _type(page, DANGER_WORDS, "999")
        help_line = _line_with(page, "call 999")
        _expect()(help_line).to_be_visible()
        _in_view(page, help_line, "the reply with 999")
        if javascript:
            assert "999" in _focused_turn_text(page), "focus moves to the help"
        _phone_shot(page, f"phone-after-danger-{'js' if javascript else 'no-js'}")
        if javascript:  # axe needs JavaScript: without it, see test_without_javascript_the_pages_are_accessible
            check_accessible(axe, page, "phone, after danger, JavaScript on")
    finally:
        page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_next_question_is_in_view_after_an_answer(live: Live, browser: Any, javascript: bool) -> None:
    page = _phone(browser, javascript)
    try:
        _open_chat(page, invite(live, f"WEB-PHONE-ANSWER-{int(javascript)}"))
        _answer(page, "Yes", "Do you feel safe right now?")
        _answer(page, "Yes", "Would you like someone to help you")
        _answer(page, "No thanks", "What would you like to happen?")
        _type(page, "I want him to stay away from me", "anything else")
        question = _line_with(page, "anything else")
        _in_view(page, question, "the next question")
        _in_view(page, page.locator("#chat-log li").filter(has_text="I want him to stay away").last.locator(
            "xpath=following-sibling::li[1]"), "the first reply to the answer")
        if javascript:  # focus is on the first reply to the answer (the question follows it)
            assert page.evaluate(
                "() => document.activeElement.previousElementSibling.innerText.trim()"
            ).endswith("I want him to stay away from me")
        _phone_shot(page, f"phone-after-answer-{'js' if javascript else 'no-js'}")
    finally:
        page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_the_999_line_and_both_help_buttons_are_always_there(
    live: Live, browser: Any, javascript: bool
) -> None:
    page = _phone(browser, javascript)
    try:
        _open_chat(page, invite(live, f"WEB-PHONE-ALWAYS-{int(javascript)}"))
        for step in range(3):
            _expect()(page.get_by_text("In danger now? Call 999")).to_be_visible()
            _expect()(page.get_by_role("button", name="I am not safe right now")).to_be_visible()
            _expect()(page.get_by_role("button", name="I want to talk to a person")).to_be_visible()
            if step == 0:
                _answer(page, "Yes", "Do you feel safe right now?")
            elif step == 1:
                _answer(page, "Yes", "Would you like someone to help you")
    finally:
        page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_i_am_not_safe_right_now_brings_the_help_into_view_without_typing(
    live: Live, browser: Any, javascript: bool
) -> None:
    """Waits on the actions: they must read the /danger press as clear danger (issue 15, part 2)."""
    page = _phone(browser, javascript)
    try:
        _open_chat(page, invite(live, f"WEB-PRESS-DANGER-{int(javascript)}"))
        page.get_by_role("button", name="I am not safe right now").click()
        _expect()(page.locator("#chat-log").get_by_text("call 999").last).to_be_visible()
        _expect()(page.locator("#chat-log li").filter(has_text="I am not safe right now").last).to_be_visible()
        assert page.locator("#chat-log").get_by_text("/danger").count() == 0
        _in_view(page, _line_with(page, "call 999"), "the reply with 999")
        _phone_shot(page, f"phone-after-not-safe-press-{'js' if javascript else 'no-js'}")
    finally:
        page.context.close()
    alerts = [a for a in live.alerts() if a.get("enquiry_ref") == f"WEB-PRESS-DANGER-{int(javascript)}"]
    assert [a["kind"] for a in alerts] == ["urgent_safety"]


def test_i_want_to_talk_to_a_person_asks_for_one_without_typing(live: Live, browser: Any) -> None:
    """Waits on the actions: they must read the /ask_human press as a request for a person."""
    page = _phone(browser, True)
    try:
        _open_chat(page, invite(live, "WEB-PRESS-HUMAN-1"))
        page.get_by_role("button", name="I want to talk to a person").click()
        _expect()(page.locator("#chat-log").get_by_text("You can talk to a person").last).to_be_visible()
        _in_view(page, _line_with(page, "You can talk to a person"), "the reply")
    finally:
        page.context.close()
    alerts = [a for a in live.alerts() if a.get("enquiry_ref") == "WEB-PRESS-HUMAN-1"]
    assert [a["kind"] for a in alerts] == ["wants_human_contact"]


def test_without_javascript_exit_ends_the_chat_and_back_shows_nothing(live: Live, browser: Any) -> None:
    page = _phone(browser, False)
    try:
        _open_chat(page, invite(live, "WEB-NOJS-EXIT-1"))
        _answer(page, "Yes", "Do you feel safe right now?")
        _phone_shot(page, "phone-chat-no-js")
        # Shift pressed 3 times needs the script: the page does not offer it here.
        assert not page.get_by_text("Shift").first.is_visible()
        page.wait_for_load_state("load")  # the style sheets decide which exit button shows (link or form)
        page.get_by_role("button", name=re.compile("Exit this page")).click()
        page.wait_for_url(neutral_url(live))
        assert "Weather" in page.content()
        page.go_back()
        page.wait_for_load_state()
        assert "Do you feel safe right now?" not in page.content(), f"Back showed the chat: {page.url}"
        page.goto(live.web_url + "/chat")
        assert "Your chat is closed" in page.content()
    finally:
        page.context.close()


def test_read_aloud_uses_the_browsers_own_speech(live: Live, browser: Any, axe: Any) -> None:
    spoken = (
        "window.__spoken = [];"
        "if (window.speechSynthesis) { window.speechSynthesis.speak = (u) => window.__spoken.push(u.text);"
        " window.speechSynthesis.cancel = () => {}; }"
    )
    page = _phone(browser, True, init_script=spoken)
    try:
        _open_chat(page, invite(live, "WEB-READ-1"))
        question = _line_with(page, "Is it OK to talk about this now?")
        question.get_by_role("button", name=re.compile("Read aloud")).click()
        assert page.evaluate("() => window.__spoken") == ["Is it OK to talk about this now?"]
        _answer(page, "Yes", "Do you feel safe right now?")
        _line_with(page, "Do you feel safe right now?").get_by_role("button", name=re.compile("Read aloud")).click()
        assert page.evaluate("() => window.__spoken")[-1] == "Do you feel safe right now?"
        check_accessible(axe, page, "phone, chat with read aloud")
        _phone_shot(page, "phone-chat-js")
    finally:
        page.context.close()
    no_js = _phone(browser, False)
    try:
        _open_chat(no_js, invite(live, "WEB-READ-2"))
        assert no_js.get_by_role("button", name=re.compile("Read aloud")).count() == 0
    finally:
        no_js.context.close()


def test_after_the_last_message_the_label_does_not_offer_buttons(live: Live, page: Any, axe: Any) -> None:
    _open_chat(page, invite(live, "WEB-LABEL-1"))
    _answer(page, "Yes", "Do you feel safe right now?")
    _answer(page, "Yes", "Would you like someone to help you")
    _answer(page, "No thanks", "What would you like to happen?")
    _type(page, "to make some new friends", "anything else")
    _answer(page, "No, that's all", "Have I got that right?")
    _expect()(page.locator("label[for=message]")).to_have_text(re.compile(r"^\s*Or type your answer\s*$"))
    _answer(page, "Yes, that's right", "Thank you for telling me")
    _expect()(page.locator("label[for=message]")).to_have_text(re.compile(r"^\s*Type your answer\s*$"))
    check_accessible(axe, page, "desktop, chat finished")


def test_after_an_exit_back_and_start_again_never_reads_back_the_words(live: Live, browser: Any) -> None:
    """Waits on the actions: the read-back shows only the words written in this visit (issue 15, part 3)."""
    secret_words = "I want my cousin Barnaby kept away from me"
    page = _phone(browser, True)
    try:
        link = invite(live, "WEB-BACK-1")
        _open_chat(page, link)
        _answer(page, "Yes", "Do you feel safe right now?")
        _answer(page, "Yes", "Would you like someone to help you")
        _answer(page, "No thanks", "What would you like to happen?")
        _type(page, secret_words, "anything else")
        page.wait_for_load_state("load")  # the style sheets decide which exit button shows (link or form)
        page.get_by_role("button", name=re.compile("Exit this page")).click()
        page.wait_for_url(neutral_url(live))
        page.go_back()
        page.wait_for_load_state()
        # Back lands on the link's first page; starting again resumes the same conversation.
        page.get_by_role("button", name="Start the chat").click()
        _answer(page, "No, that's all", "Have I got that right?")
        assert "Barnaby" not in page.content(), "the words were read back after an exit"
    finally:
        page.context.close()


def _scripts_blocked(browser: Any, viewport: Dict[str, int]) -> Any:
    """The page as it is without JavaScript (none of its scripts load), where axe can still run.

    axe-core runs inside the page, so it cannot run where JavaScript is off (Playwright's
    evaluate waits for ever). Blocking every script of the page's own gives the same page:
    no "js-enabled" class, plain forms, no script-made buttons.
    """
    context = browser.new_context(viewport=viewport)
    context.route(re.compile(r".*\.m?js(\?.*)?$"), lambda route: route.abort())
    opened = context.new_page()
    opened.set_default_timeout(20000)
    return opened


@pytest.mark.parametrize("width", [320, 1280])
def test_without_javascript_the_pages_are_accessible_and_land_on_the_new_reply(
    live: Live, browser: Any, axe: Any, width: int
) -> None:
    page = _scripts_blocked(browser, {"width": width, "height": 640 if width == 320 else 900})
    try:
        page.goto(invite(live, f"WEB-AXE-NOJS-{width}"))
        assert "js-enabled" not in (page.get_attribute("body", "class") or "")
        check_accessible(axe, page, f"{width}, before the chat, JavaScript off")
        page.get_by_role("button", name="Start the chat").click()
        _expect()(page.locator("#chat-log").get_by_text("Is it OK to talk about this now?")).to_be_visible()
        check_accessible(axe, page, f"{width}, chat, JavaScript off")
        _answer(page, "Yes", "Do you feel safe right now?")
        assert "Do you feel safe right now?" in _focused_turn_text(page), "the landing reply has focus"
        _type(page, DANGER_WORDS, "999")
        assert "999" in _focused_turn_text(page)
        _in_view(page, _line_with(page, "call 999"), "the reply with 999")
        check_accessible(axe, page, f"{width}, after danger, JavaScript off")
        page.get_by_role("button", name="Send", exact=True).click()
        _expect()(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        check_accessible(axe, page, f"{width}, chat with an error, JavaScript off")
    finally:
        page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_quick_exit_straight_after_danger_is_added_to_the_alert(
    live: Live, browser: Any, javascript: bool
) -> None:
    enquiry = f"WEB-QUICK-EXIT-{int(javascript)}"
    page = _phone(browser, javascript)
    try:
        _open_chat(page, invite(live, enquiry))
        page.get_by_role("button", name="I am not safe right now").click()
        _expect()(page.locator("#chat-log").get_by_text("call 999").last).to_be_visible()
        page.wait_for_load_state("load")  # the style sheets decide which exit button shows (link or form)
        page.get_by_role("button", name=re.compile("Exit this page")).click()
        page.wait_for_url(neutral_url(live))
    finally:
        page.context.close()
    reasons: list = []  # type: ignore[type-arg]
    for _ in range(40):  # noted in the background, after the person has gone
        reasons = [a.get("reason") for a in live.alerts() if a.get("enquiry_ref") == enquiry]
        if "quick_exit" in reasons:
            break
        time.sleep(0.5)
    assert reasons == ["first", "quick_exit"], reasons
