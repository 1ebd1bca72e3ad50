"""The safety layer over HTTP, against the real servers, in both stages.

Danger is never switched off by the rest of a message; possible danger gets one
gentle check whose answer decides; the help never waits on the database; and
"I am sending an urgent message to the team" is true: the local webhook
receiver and SMTP sink get the alert, with no words of the person in it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from bot import constants as c
from tests.actions.conftest import DOMAIN
from tests.conversations.driver import Conversation
from tests.live import Live, e2e_settings, start_services

pytestmark = pytest.mark.e2e

STAGES = ("outcomes", "review")
BOTH = pytest.mark.parametrize("stage", STAGES)
SENT = "I am sending an urgent message to the team now"
CHECK = "Are you safe right now?"


def _texts(replies: List[Dict[str, Any]]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def _open(live: Live, name: str, stage: str = "outcomes", role: str = "person",
          past_safe: bool = False) -> Conversation:
    """A conversation past consent (and, in a review with no wishes, past the wishes).

    `past_safe`: in the outcomes stage, also answer "do you feel safe?" with yes.
    """
    chat = Conversation(live.url, live.token, f"safety-{name}-{stage}-{role}")
    chat.say("/start" + json.dumps({"stage": stage, "enquiry_ref": f"SAFE-{name}"[:40], "role": role}))
    chat.say("yes")
    if stage == "outcomes" and past_safe:
        assert chat.requested() == c.FEELS_SAFE_NOW
        chat.say("yes")
    if stage == "review":
        assert chat.requested() == c.DESIRED_OUTCOMES
        chat.say("not sure")
        assert chat.requested() == c.GOALS_MET
    return chat


def _wait_alert(live: Live, sender: str, kind: str, timeout: float = 30.0) -> Dict[str, Any]:
    """The alert of this conversation, once the webhook and the mailbox both have it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = [d for d in live.webhook.received if d.json.get("conversation_id") == sender]
        mails = [m for m in live.mail.messages if sender in m.get_content()]
        if posts and mails:
            assert posts[0].json["kind"] == kind
            return {"post": posts[0], "mail": mails[0]}
        time.sleep(0.3)
    raise AssertionError(f"no alert for {sender} within {timeout:.0f}s")


def _delivery(live: Live, sender: str) -> str:
    found = [a for a in live.alerts() if a["conversation_id"] == sender]
    assert found, f"no alert stored for {sender}"
    return str(found[-1]["delivery"])


@BOTH
def test_danger_in_one_clause_is_enough_and_the_team_is_really_told(live: Live, stage: str) -> None:
    chat = _open(live, "clause", stage)
    replies = chat.say("he's hitting me, I want him arrested")
    text = _texts(replies)
    assert "999" in text and "0808 2000 247" in text and SENT in text
    assert text.index("999") < text.index(SENT), "the help comes first"
    assert live.record(chat.sender, stage)["flags"]["urgent_safety"] is True
    assert chat.past_safe_contact() == c.CARRY_ON

    alert = _wait_alert(live, chat.sender, c.FLAG_URGENT_SAFETY)
    body = alert["post"].body.decode() + alert["mail"].get_content()
    assert "SAFE-clause" in body and "/review/conversations/" in body
    for words in ("hitting", "arrested"):
        assert words not in body.lower(), "an alert never carries the person's words"
    deadline = time.monotonic() + 15
    while _delivery(live, chat.sender) != c.DELIVERY_SENT and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _delivery(live, chat.sender) == c.DELIVERY_SENT


def test_a_wish_in_the_same_message_is_kept_beside_the_help(live: Live) -> None:
    chat = _open(live, "wishkept", past_safe=True)
    chat.say("no")  # no advocate
    assert chat.requested() == c.DESIRED_OUTCOMES
    replies = chat.say("my son punched me and I want him in prison")
    assert "999" in _texts(replies)
    record = live.record(chat.sender, "outcomes")
    assert record["flags"]["urgent_safety"] is True
    assert c.POLICE_PROSECUTE in {o["code"] for o in record["outcomes"]}
    assert chat.past_safe_contact() == c.CARRY_ON


def test_danger_told_at_are_you_safe_is_a_no_and_is_not_asked_again(live: Live) -> None:
    chat = _open(live, "safeno")
    assert chat.requested() == c.FEELS_SAFE_NOW
    replies = chat.say("he's hitting me, I want him arrested")
    assert "999" in _texts(replies)
    assert chat.slot(c.FEELS_SAFE_NOW) == c.NO
    assert chat.past_safe_contact() == c.CARRY_ON
    chat.say("carry on")
    assert chat.requested() == c.WANTS_ADVOCATE, "not asked 'do you feel safe' again"


@BOTH
def test_possible_danger_gets_one_gentle_check_and_no_means_help(live: Live, stage: str) -> None:
    chat = _open(live, "checkno", stage, past_safe=True)
    question = chat.requested()
    replies = chat.say("he hit me last night")
    assert CHECK in _texts(replies)
    assert "999" not in _texts(replies)
    assert chat.requested() == c.SAFETY_CHECK
    replies = chat.say("No")
    assert "999" in _texts(replies)
    assert live.record(chat.sender, stage)["flags"]["urgent_safety"] is True
    assert chat.past_safe_contact() == c.CARRY_ON
    chat.say("carry on")
    assert chat.requested() == question


@BOTH
def test_after_the_check_a_yes_goes_back_to_the_question(live: Live, stage: str) -> None:
    chat = _open(live, "checkyes", stage, past_safe=True)
    question = chat.requested()
    chat.say("he hit me last night")
    assert chat.requested() == c.SAFETY_CHECK
    replies = chat.say("yes")
    assert "999" not in _texts(replies)
    assert chat.requested() == question
    assert live.record(chat.sender, stage)["flags"]["urgent_safety"] is False


def test_not_sure_at_the_check_raises_the_flag_and_answers_are_you_safe(live: Live) -> None:
    chat = _open(live, "checknotsure")
    assert chat.requested() == c.FEELS_SAFE_NOW
    replies = chat.say("my ex was round earlier and he was kicking off")
    # The gentle check, or (when the answer reader reads these words as "no, not safe") the help at
    # once, then how to reach them safely: either way the flag is raised and the question answered.
    assert chat.requested() in (c.SAFETY_CHECK, c.CONTACT_SAFE_TO_CALL, c.CARRY_ON)
    if chat.requested() == c.SAFETY_CHECK:
        replies = chat.say("Not sure")
    assert "999" in _texts(replies)
    assert live.record(chat.sender, "outcomes")["flags"]["urgent_safety"] is True
    assert chat.slot(c.FEELS_SAFE_NOW) in (c.NO, c.NOT_SURE)
    assert chat.past_safe_contact() == c.CARRY_ON
    chat.say("carry on")
    assert chat.requested() == c.WANTS_ADVOCATE


def test_an_advocate_is_asked_about_the_person(live: Live) -> None:
    chat = _open(live, "checkadvocate", role="advocate")
    chat.say("yes")  # they are safe now
    assert chat.requested() == c.DESIRED_OUTCOMES
    replies = chat.say("her son hit her last night")
    assert "Are they safe right now?" in _texts(replies)


@BOTH
def test_asking_for_a_person_sends_an_alert_too(live: Live, stage: str) -> None:
    chat = _open(live, "human", stage)
    replies = chat.say("I want to talk to a real person")
    assert "I am also sending them a message now" in _texts(replies)
    _wait_alert(live, chat.sender, c.FLAG_WANTS_HUMAN_CONTACT)


def test_a_receiver_that_is_down_at_first_still_gets_the_alert(live: Live) -> None:
    live.webhook.down()
    try:
        chat = _open(live, "down")
        chat.say("he's got a knife")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            stored = [a for a in live.alerts() if a["conversation_id"] == chat.sender]
            if stored and stored[0]["attempts"] >= 1:
                break
            time.sleep(0.5)
        assert stored and stored[0]["delivery"] == c.DELIVERY_RETRYING
    finally:
        live.webhook.up()
    _wait_alert(live, chat.sender, c.FLAG_URGENT_SAFETY)


def test_the_help_never_waits_on_the_database(live: Live) -> None:
    """With the records database locked, the help still comes, and the flag is stored later."""
    chat = _open(live, "dblocked")
    database = live.services.settings.database_url.replace("sqlite:///", "")
    lock = sqlite3.connect(database, timeout=1, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        replies = chat.say("he's at the door and he's going to kill me")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    text = _texts(replies)
    assert "999" in text and "0808 2000 247" in text
    assert SENT not in text, "nothing was stored, so nothing is claimed"
    assert "Please call" in text
    # The spooled flag is stored, and the alert sent, once the database answers.
    _wait_alert(live, chat.sender, c.FLAG_URGENT_SAFETY, timeout=40)
    assert live.record(chat.sender, "outcomes")["flags"]["urgent_safety"] is True


def test_a_restart_between_the_flag_and_the_delivery_still_delivers(tmp_path: Path) -> None:
    """Flag raised while the receiver is down; the whole stack restarts; the alert still goes."""
    from tests.alerts.receivers import http_receiver, smtp_sink

    with http_receiver() as webhook, smtp_sink() as mail:
        settings = e2e_settings(tmp_path, webhook, mail)
        from bot.store.migrate import upgrade

        upgrade(settings.database_url)
        webhook.down()
        services = start_services(settings, tmp_path)
        try:
            chat = Conversation(services.rasa_url, settings.rasa_auth_token, "safety-restart")
            chat.say('/start{"stage": "outcomes", "enquiry_ref": "SAFE-restart", "role": "person"}')
            chat.say("yes")
            assert SENT in _texts(chat.say("he's strangling me"))
        finally:
            services.stop()
        assert not webhook.received
        webhook.up()
        services = start_services(settings, tmp_path)
        try:
            delivered = webhook.wait_for(1, timeout=30)
            assert delivered[0].json["conversation_id"] == "safety-restart"
        finally:
            services.stop()


def test_every_alert_line_the_person_reads_is_in_the_domain() -> None:
    for response in ("utter_danger_alert_sent", "utter_danger_alert_not_sent", "utter_human_alert_sent",
                     "utter_human_alert_not_sent", "utter_ask_safety_check", "utter_check_safe_ok"):
        assert response in DOMAIN["responses"], response
