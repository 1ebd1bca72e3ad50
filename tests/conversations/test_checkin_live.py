"""Check-ins over HTTP against the real servers: keep, add, take away, change, danger mid-way, an advocate.

Each test first holds a real outcomes conversation for its enquiry, then a
check-in (`/start{"stage": "checkin", ...}`, another conversation id), and reads
the enquiry's outcomes record back as `msp export` writes it (contract v4).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from tests.conversations.driver import Conversation
from tests.live import Live

pytestmark = pytest.mark.e2e


def _start(stage: str, enquiry: str, role: str = "person") -> str:
    return "/start" + json.dumps({"stage": stage, "enquiry_ref": enquiry, "role": role})


def _play(conversation: Conversation, answers: Dict[str, List[str]], limit: int = 30) -> List[str]:
    """Answer each question asked from `answers` (in order per question) until the form ends."""
    asked: List[str] = []
    used: Dict[str, int] = {}
    defaults = {"carry_on": ["yes"], "safety_check": ["yes"], "contact_safe_to_call": ["no"]}
    for _ in range(limit):
        question = conversation.requested()
        if question is None:
            return asked
        asked.append(question)
        given = answers.get(question) or defaults.get(question)
        assert given, f"no answer for {question!r}; asked so far {asked}"
        index = used.get(question, 0)
        used[question] = index + 1
        conversation.say(given[min(index, len(given) - 1)])
    raise AssertionError(f"still asking after {limit} turns: {asked}")


def _outcomes_first(live: Live, enquiry: str, wishes: str) -> str:
    sender = f"ci-out-{enquiry.lower()}"
    conversation = Conversation(live.url, live.token, sender)
    conversation.say(_start("outcomes", enquiry))
    _play(conversation, {"consent_to_talk": ["yes"], "feels_safe_now": ["yes"], "wants_advocate": ["no"],
                         "desired_outcomes": [wishes, "no that's all"], "outcomes_confirmed": ["yes"]})
    return sender


def _check_in(live: Live, enquiry: str, answers: Dict[str, List[str]], role: str = "person",
              interject: Optional[str] = None) -> Conversation:
    conversation = Conversation(live.url, live.token, f"ci-in-{enquiry.lower()}")
    conversation.say(_start("checkin", enquiry, role))
    if interject:
        conversation.say(interject)
    _play(conversation, {"consent_to_talk": ["yes"], **answers})
    return conversation


def _texts(conversation: Conversation) -> str:
    return "\n".join(str(r.get("text") or "") for r in conversation.replies)


def _codes(items: List[Dict[str, Any]]) -> List[str]:
    return sorted(o["code"] for o in items)


def test_keep_the_wishes(live: Live) -> None:
    home = _outcomes_first(live, "CI-KEEP-1", "I want him to go to court and I want to feel safe at home")
    checkin = _check_in(live, "CI-KEEP-1", {"checkin_still_wanted": ["yes"], "feels_safe_now": ["yes"],
                                            "checkin_comment": ["no"]})
    said = _texts(checkin)
    assert "Before, you told us you would like:" in said
    assert "Is that still what you would like?" in said
    assert "go to court" not in said and "at home" not in said, "own words are never read back in another visit"
    assert "Your social worker will see it." in said
    record = live.record(home, "outcomes")
    assert record["contract"] == 4
    assert _codes(record["outcomes"]) == ["feel_safer", "police_prosecute"]
    [entry] = record["checkins"]
    assert entry["conversation_id"] == checkin.sender and entry["feels_safe_now"] == "yes"
    assert entry["added"] == [] and entry["withdrawn"] == [] and entry["changed"] == []
    assert live.record(checkin.sender, "checkin")["status"] == "completed"


def test_add_a_wish_and_take_one_away(live: Live) -> None:
    home = _outcomes_first(live, "CI-CHANGE-1", "I want him to go to court and I want to feel safe at home")
    checkin = _check_in(live, "CI-CHANGE-1", {
        "checkin_still_wanted": ["I want to change something"],
        "desired_outcomes": ["I don't want him prosecuted any more", "I want to be kept informed",
                             "no that's all"],
        "feels_safe_now": ["yes"],
        "checkin_comment": ["he has moved away now"],
    })
    record = live.record(home, "outcomes")
    assert _codes(record["outcomes"]) == ["be_involved", "feel_safer"]
    taken = [o for o in record["withdrawn_outcomes"] if o["code"] == "police_prosecute"]
    assert taken and taken[0]["withdrawn_at"]
    [entry] = record["checkins"]
    assert entry["added"] == ["be_involved"] and entry["withdrawn"] == ["police_prosecute"]
    assert entry["comment"] == "he has moved away now"
    assert "Your social worker will see it." in _texts(checkin)


def test_a_change_said_as_the_answer_is_kept(live: Live) -> None:
    """ "I don't want him prosecuted now" answers "Is that still what you would like?" and is kept."""
    home = _outcomes_first(live, "CI-SAID-1", "I want him to go to court and I want to feel safe at home")
    _check_in(live, "CI-SAID-1", {
        "checkin_still_wanted": ["I don't want him prosecuted now"],
        "desired_outcomes": ["no that's all"],
        "feels_safe_now": ["yes"], "checkin_comment": ["no"],
    })
    record = live.record(home, "outcomes")
    assert _codes(record["outcomes"]) == ["feel_safer"]
    assert record["checkins"][0]["withdrawn"] == ["police_prosecute"]


def test_danger_mid_check_in_gets_help_at_once_and_the_flag(live: Live) -> None:
    _outcomes_first(live, "CI-DANGER-1", "I want to feel safe at home")
    conversation = Conversation(live.url, live.token, "ci-in-ci-danger-1")
    conversation.say(_start("checkin", "CI-DANGER-1"))
    conversation.say("yes")  # OK to talk
    assert conversation.requested() == "checkin_still_wanted"
    replies = conversation.say("he is outside the door now with a knife")
    said = " ".join(str(r.get("text") or "") for r in replies)
    assert "999" in said
    _play(conversation, {"checkin_still_wanted": ["yes"], "feels_safe_now": ["no"],
                         "checkin_comment": ["no"]})
    record = live.record(conversation.sender, "checkin")
    assert record["flags"]["urgent_safety"] is True
    assert any(a["kind"] == "urgent_safety" for a in live.alerts() if a.get("conversation_id") == conversation.sender)


def test_an_advocate_speaking_is_asked_about_the_person(live: Live) -> None:
    home = _outcomes_first(live, "CI-ADVOCATE-1", "I want to feel safe at home")
    checkin = _check_in(live, "CI-ADVOCATE-1", {"checkin_still_wanted": ["yes"], "feels_safe_now": ["yes"],
                                                 "checkin_comment": ["no"]}, role="advocate")
    said = _texts(checkin)
    assert "Is that still what they would like?" in said
    assert "Their social worker will see it." in said
    assert live.record(checkin.sender, "checkin")["speaker_role"] == "advocate"
    assert live.record(home, "outcomes")["checkins"][0]["conversation_id"] == checkin.sender
