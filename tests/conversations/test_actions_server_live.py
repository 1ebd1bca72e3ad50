"""The running action server answers only Rasa: a crafted call raises no alert and reads nothing back.

A crafted call to `action_human_contact` once created a duty alert for a
made-up conversation. Now every call but `/health` needs Rasa's bearer token
(bot/actions_server.py), which Rasa sends from its endpoints file; a
conversation over the channel shows that Rasa's own calls still get through.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest
import requests

from bot.actions_server import FAILED, NO_TOKEN, WRONG_TOKEN
from tests.conversations.driver import Conversation
from tests.live import Live

pytestmark = pytest.mark.e2e

MADE_UP = "live-actions-made-up"
SECRET_WORDS = "he hits me when nobody is home"


def crafted(sender: str = MADE_UP) -> Dict[str, Any]:
    """What Rasa would post to run action_human_contact for a conversation."""
    return {
        "next_action": "action_human_contact",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {"slots": {}, "responses": {}, "intents": [], "entities": [], "actions": []},
        "tracker": {"sender_id": sender, "slots": {"enquiry_ref": "MADE-UP-1", "stage": "outcomes"},
                    "latest_message": {"text": SECRET_WORDS, "intent": {"name": "ask_human"}},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": None},
    }


def test_a_crafted_call_without_rasas_token_raises_no_alert(live: Live) -> None:
    url = f"{live.services.actions_url}/webhook"
    for headers, error in (({}, NO_TOKEN), ({"Authorization": "Bearer guess"}, WRONG_TOKEN),
                           ({"Authorization": f"Basic {live.token}"}, NO_TOKEN)):
        got = requests.post(url, json=crafted(), headers=headers, timeout=60)
        assert got.status_code == 401, headers
        assert got.json() == {"error": error}
    got = requests.post(url, json=crafted(), params={"token": live.token}, timeout=60)  # not how it reads it
    assert got.status_code == 401
    assert not [a for a in live.alerts() if a["conversation_id"] == MADE_UP]
    assert requests.get(f"{live.services.actions_url}/actions", timeout=60).status_code == 401


def test_health_stays_open(live: Live) -> None:
    got = requests.get(f"{live.services.actions_url}/health", timeout=60)
    assert got.status_code == 200 and got.json() == {"status": "ok"}


def test_a_failure_does_not_echo_the_request(live: Live) -> None:
    """With the token, a body the server cannot use: a plain 500, not the tracker sent back."""
    got = requests.post(f"{live.services.actions_url}/webhook", json=[SECRET_WORDS], timeout=60,
                        headers={"Authorization": f"Bearer {live.token}"})
    assert got.status_code == 500 and got.json() == {"error": FAILED}
    assert "nobody is home" not in got.text


def test_rasas_own_calls_get_through(live: Live) -> None:
    """A form's validation runs on the action server: the conversation moves on to the next question."""
    chat = Conversation(live.url, live.token, "live-actions-rasa")
    chat.say('/start{"stage": "outcomes", "enquiry_ref": "ACTIONS-1", "role": "person"}')
    assert chat.requested() == "consent_to_talk"
    chat.say("yes")
    assert chat.requested() == "feels_safe_now"
    assert chat.slot("consent_to_talk") == "yes"
