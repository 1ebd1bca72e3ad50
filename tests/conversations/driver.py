"""Drive whole conversations over HTTP the contract's way, and compare records.

Open with the scenario's `start`; while the tracker has an active form, answer
its `requested_slot` from `answers` (a list is used in order, its last item
repeated; `outcome_achieved` from `achieved[current_outcome]`), saying any
`interject` once just before its question.

Every message carries a credential, as the REST channel demands: a "/"
message (`/start{...}`) the token, anything else the web app's signature
(`X-MSP-Signature`, keyed with the stack's WEB_CHANNEL_SECRET), so a person's
words are sent exactly as the chat page sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import requests

from bot.channel_auth import signed_json

MAX_TURNS = 80

# The WEB_CHANNEL_SECRET of every stack the tests start (tests/live.py `e2e_settings`).
E2E_WEB_CHANNEL_SECRET = "e2e-web-channel-secret-for-signing-words-only"

# A detour question a scenario need not mention: carry on; the gentle check, "yes"; is it safe for
# the team to phone (asked once after the help or a request for a person), "no", which asks no more.
DEFAULT_ANSWERS = {"carry_on": "yes", "safety_check": "yes", "contact_safe_to_call": "no"}


@dataclass
class Conversation:
    base_url: str
    token: str
    sender: str
    replies: List[Dict[str, Any]] = field(default_factory=list)
    asked: List[str] = field(default_factory=list)
    secret: str = E2E_WEB_CHANNEL_SECRET

    def say(self, text: str, trusted: Optional[bool] = None) -> List[Dict[str, Any]]:
        """Send one message; a "/" message (`/start{...}`) as the trusted client, with the token.

        `trusted=False` sends a "/" text as a person would type it, signed as the
        web app signs their words: the REST channel must keep it as their words.
        """
        if trusted is None:
            trusted = text.lstrip().startswith("/")
        response = requests.post(f"{self.base_url}/webhooks/rest/webhook", timeout=120,
                                 **post_arguments(self.sender, text, self.token if trusted else None,
                                                  self.secret))
        response.raise_for_status()
        replies = response.json()
        self.replies.extend(replies)
        return replies

    def tracker(self) -> Dict[str, Any]:
        response = requests.get(
            f"{self.base_url}/conversations/{self.sender}/tracker",
            params={"token": self.token},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def requested(self) -> Optional[str]:
        tracker = self.tracker()
        if not (tracker.get("active_loop") or {}).get("name"):
            return None
        return tracker["slots"].get("requested_slot")

    def past_safe_contact(self, answer: str = "no") -> Optional[str]:
        """After the help for danger or a request for a person, "Is it safe for the team to phone
        you?" is asked once (issue 15): answer it ("no" asks nothing more) and return the next question."""
        asked = self.requested()
        assert asked == "contact_safe_to_call", f"expected the safe-contact question, got {asked!r}"
        self.say(answer)
        return self.requested()

    def slot(self, name: str) -> Any:
        return self.tracker()["slots"].get(name)


def post_arguments(sender: str, text: str, token: Optional[str], secret: str = E2E_WEB_CHANNEL_SECRET,
                   metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """`requests.post` keywords for one message: with the token (`?token=`), or else signed."""
    payload: Dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        payload["metadata"] = metadata
    if token:
        return {"params": {"token": token}, "json": payload}
    body, headers = signed_json(payload, secret)
    return {"params": None, "data": body, "headers": headers}


def run_scenario(conversation: Conversation, scenario: Dict[str, Any]) -> List[str]:
    """Play the scenario; returns the questions asked, in order."""
    answers = scenario.get("answers") or {}
    achieved = scenario.get("achieved") or {}
    interjects = list(scenario.get("interject") or [])
    used: Dict[str, int] = {}
    conversation.say(scenario["start"])
    for _ in range(MAX_TURNS):
        question = conversation.requested()
        if question is None:
            return conversation.asked
        conversation.asked.append(question)
        pending = next((i for i in interjects if i["before"] == question), None)
        if pending is not None:
            interjects.remove(pending)
            conversation.say(pending["say"])
            continue
        if question == "outcome_achieved":
            code = conversation.slot("current_outcome")
            text = achieved.get(code)
        else:
            given = answers.get(question, DEFAULT_ANSWERS.get(question))
            if isinstance(given, list):
                index = used.get(question, 0)
                used[question] = index + 1
                text = given[min(index, len(given) - 1)]
            else:
                text = given
        if text is None:
            raise AssertionError(
                f"{scenario['name']}: no answer for {question!r}; asked so far {conversation.asked}"
            )
        conversation.say(str(text))
    raise AssertionError(f"{scenario['name']}: still asking after {MAX_TURNS} turns")


def compare(record: Dict[str, Any], expect: Dict[str, Any]) -> List[str]:
    """Field-by-field differences between a record and a scenario's `expect`."""
    problems: List[str] = []
    outcomes = {o["code"]: o for o in record.get("outcomes") or []}
    for key, want in expect.items():
        if key == "outcomes":
            if set(outcomes) != set(want):
                problems.append(f"outcomes {sorted(outcomes)} != {sorted(want)}")
        elif key in ("achieved", "may_not_be_achievable"):
            for code, value in want.items():
                got = outcomes.get(code, {}).get(key)
                if got != value:
                    problems.append(f"{key}[{code}] {got!r} != {value!r}")
        elif key in ("flags", "feedback"):
            for name, value in want.items():
                got = (record.get(key) or {}).get(name)
                if got != value:
                    problems.append(f"{key}.{name} {got!r} != {value!r}")
        elif record.get(key) != want:
            problems.append(f"{key} {record.get(key)!r} != {want!r}")
    return problems


# The chat page, as a browser without JavaScript uses it ----------------------------------------


class Page:
    """One person's browser on the chat page: an invitation opened, messages sent as form posts."""

    def __init__(self, web_url: str, invitation_link: str) -> None:
        self.web_url = web_url
        self.http = requests.Session()
        token = invitation_link.strip().rsplit("/start/", 1)[1]
        first = self.http.get(f"{web_url}/start/{token}", timeout=60)
        opened = self.http.post(f"{web_url}/start/{token}", data={"csrf_token": csrf(first.text)},
                                timeout=120)  # follows to /chat, which sends the opening
        assert opened.status_code == 200, opened.text[-2000:]
        self.html = opened.text

    def send(self, text: str) -> requests.Response:
        """Post a message; the page that follows (the chat, or the same page with an error) is `.html`."""
        sent = self.http.post(f"{self.web_url}/chat", data={"message": text, "csrf_token": csrf(self.html)},
                              timeout=120, allow_redirects=False)
        if sent.status_code == 303:
            self.html = self.http.get(f"{self.web_url}/chat", timeout=120).text
        else:
            self.html = sent.text
        return sent


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class OnThePage(Conversation):
    """`run_scenario` played on the chat page: the scenario's `start` is an invitation link.

    The page knows its conversation only in its signed session, so `find_id`
    (the records, by enquiry) names it once the invitation is opened; the
    tracker is read from Rasa as practitioners' tools do.
    """

    find_id: Optional[Callable[[], str]] = None
    page: Optional[Page] = None

    def say(self, text: str, trusted: Optional[bool] = None) -> List[Dict[str, Any]]:
        if self.page is None:
            web_url = text.strip().split("/start/", 1)[0]
            self.page = Page(web_url, text)
            assert self.find_id is not None
            self.sender = self.find_id()
            return []
        sent = self.page.send(text)
        assert sent.status_code == 303, f"the page did not take {text!r}: {sent.status_code}"
        return []
