"""The web app's side of the conversation: Rasa's REST channel, called from the server.

The browser never talks to Rasa. A person's words are sent without the API
token, so the channel keeps them as words even when they start with "/"; the
opening `/start{...}` is built here from a verified invitation and sent with
the token. With several Rasa instances (RASA_INSTANCES), each turn goes to any
one of them: any instance can serve any conversation.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import requests

from bot.web.invitations import Invitation


class RasaUnavailable(Exception):
    """Rasa did not answer, or not in time. The person's message may not have been seen."""


@dataclass(frozen=True)
class Reply:
    """One message from the assistant: its words and its answer buttons."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons}


@dataclass(frozen=True)
class Turn:
    """A line of the chat as the page shows it."""

    speaker: str  # "person" or "assistant"
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)


def _replies(body: Any) -> List[Reply]:
    replies = []
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, dict):
            continue
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload") or b.get("title", ""))}
                   for b in item.get("buttons") or [] if isinstance(b, dict)]
        if item.get("text") or buttons:
            replies.append(Reply(str(item.get("text") or ""), buttons))
    return replies


def opening_message(invitation: Invitation) -> str:
    """The contract's `/start{...}`, built from the verified invitation only."""
    return "/start" + json.dumps(
        {"stage": invitation.stage, "enquiry_ref": invitation.enquiry_ref, "role": invitation.role}
    )


class RasaClient:
    def __init__(self, urls: Sequence[str], token: str, timeout_s: float = 30.0,
                 session: Optional[requests.Session] = None) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.token = token
        self.timeout_s = timeout_s
        self.http = session or requests.Session()

    def _url(self) -> str:
        return random.choice(self.urls)  # noqa: S311 (spreading load, not security)

    def send(self, sender: str, text: str, trusted: bool = False) -> List[Reply]:
        """Send one message; `trusted` only for the server's own `/start`."""
        params = {"token": self.token} if trusted else None
        try:
            response = self.http.post(f"{self._url()}/webhooks/rest/webhook", params=params,
                                      json={"sender": sender, "message": text}, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            return _replies(response.json())
        except ValueError as exc:
            raise RasaUnavailable("not JSON") from exc

    def turns(self, sender: str, since: int = 0) -> List[Turn]:
        """The conversation from event `since` on, as lines of the chat."""
        return [turn for turn in (_turn(e) for e in self.events(sender)[since:]) if turn is not None]

    def events(self, sender: str) -> List[Dict[str, Any]]:
        try:
            response = self.http.get(f"{self._url()}/conversations/{requests.utils.quote(sender)}/tracker",
                                     params={"token": self.token, "include_events": "ALL"},
                                     timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            return list(response.json().get("events") or [])
        except (ValueError, AttributeError) as exc:
            raise RasaUnavailable("not JSON") from exc

    def last_user_event(self, sender: str) -> int:
        """How many events there are up to and including the last message sent to this conversation."""
        events = self.events(sender)
        for index in range(len(events) - 1, -1, -1):
            if events[index].get("event") == "user":
                return index + 1
        return len(events)


def _turn(event: Dict[str, Any]) -> Optional[Turn]:
    if event.get("event") == "user":
        return Turn("person", str(event.get("text") or ""))
    if event.get("event") == "bot":
        data = event.get("data") or {}
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload") or b.get("title", ""))}
                   for b in data.get("buttons") or [] if isinstance(b, dict)]
        return Turn("assistant", str(event.get("text") or ""), buttons)
    return None
