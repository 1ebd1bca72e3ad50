"""The web app's side of the conversation: Rasa's REST channel, called from the server.

The browser never talks to Rasa. A person's words are sent signed with
WEB_CHANNEL_SECRET (`X-MSP-Signature`, bot/channel_auth.py), not with the API
token, so the channel keeps them as words even when they start with "/"; the
signature also vouches for the metadata built here (a button press, the
visit). The opening `/start{...}` is built here from a verified invitation and
sent with the token. Rasa takes nothing that carries neither. With several
Rasa instances (RASA_INSTANCES), each turn goes to any one of them: any
instance can serve any conversation. One that refuses the connection is
passed over for another.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import requests
import urllib3

from bot import constants as c
from bot.channel_auth import signed_json
from bot.web.invitations import Invitation

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer, or not in time. The person's message may not have been seen."""


# The REST channel's 503 reason when nothing of the message was saved (bot/rasa_server/channel.py).
NOT_SAVED = "not_saved"


class RasaNotSaved(RasaUnavailable):
    """Rasa saw the message but could not save it (nor anything it led to): it is safe to send it again."""


def _refusal(response: requests.Response) -> RasaUnavailable:
    """What a non-200 answer means: "not saved" when the channel says so, else Rasa unavailable."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        reason = None
    if response.status_code == 503 and reason == NOT_SAVED:
        return RasaNotSaved(f"HTTP 503 {NOT_SAVED}")
    return RasaUnavailable(f"HTTP {response.status_code}")


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


def _never_arrived(exc: requests.RequestException) -> bool:
    """The connection was never made (refused, or not accepted in time): nothing reached Rasa."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        cause = getattr(exc.args[0], "reason", exc.args[0])  # urllib3's MaxRetryError wraps the cause
        # NewConnectionError (refused, unreachable) is a kind of ConnectTimeoutError in urllib3.
        return isinstance(cause, urllib3.exceptions.ConnectTimeoutError)
    return False


def opening_message(invitation: Invitation) -> str:
    """The contract's `/start{...}`, built from the verified invitation only."""
    return "/start" + json.dumps(
        {"stage": invitation.stage, "enquiry_ref": invitation.enquiry_ref, "role": invitation.role}
    )


class RasaClient:
    def __init__(self, urls: Sequence[str], token: str, timeout_s: float = 30.0,
                 session: Optional[requests.Session] = None, secret: str = "") -> None:
        """`token`: RASA_AUTH_TOKEN, for the server's own commands; `secret`: WEB_CHANNEL_SECRET (words)."""
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.token = token
        self.secret = secret
        self.timeout_s = timeout_s
        self.http = session or requests.Session()

    def _url(self) -> str:
        return random.choice(self.urls)  # noqa: S311 (spreading load, not security)

    def _each_instance(self, call: Callable[[str], requests.Response]) -> requests.Response:
        """`call` on a random instance; on the next one only while the request never reached one.

        A refused connection (an instance stopped or starting) is safe to send
        elsewhere: that instance saw nothing. A connection lost after the request
        went out is not: the turn may have been saved, so the person is asked to
        send it again rather than it being sent twice behind their back.
        """
        order = random.sample(self.urls, len(self.urls))
        for attempt, base in enumerate(order):
            try:
                return call(base)
            except requests.RequestException as exc:
                if attempt + 1 < len(order) and _never_arrived(exc):
                    continue
                raise RasaUnavailable(type(exc).__name__) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    def send(self, sender: str, text: str, trusted: bool = False,
             metadata: Optional[Dict[str, Any]] = None) -> List[Reply]:
        """Send one message; `trusted` only for the server's own commands (`/start`, the two help buttons).

        `metadata` carries what the web app vouches for: the browser visit, and a
        button press checked against the buttons it offered. Anything not
        trusted goes signed (the JSON bytes signed are the bytes sent); with no
        secret it is not sent at all, as Rasa would refuse it.
        """
        payload: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            payload["metadata"] = metadata
        if trusted:
            params: Optional[Dict[str, str]] = {"token": self.token}
            body, headers = json.dumps(payload).encode("utf-8"), {"Content-Type": "application/json"}
        elif not self.secret:
            logger.error("WEB_CHANNEL_SECRET is not set: a person's message cannot be signed; not sent")
            raise RasaUnavailable("WEB_CHANNEL_SECRET is not set")
        else:
            params = None
            body, headers = signed_json(payload, self.secret)
        response = self._each_instance(lambda base: self.http.post(
            f"{base}/webhooks/rest/webhook", params=params, data=body, headers=headers,
            timeout=self.timeout_s))
        if response.status_code != 200:
            raise _refusal(response)
        try:
            return _replies(response.json())
        except ValueError as exc:
            raise RasaUnavailable("not JSON") from exc

    def turns(self, sender: str, since: int = 0) -> List[Turn]:
        """The conversation from event `since` on, as lines of the chat."""
        return [turn for turn in (_turn(e) for e in self.events(sender)[since:]) if turn is not None]

    def events(self, sender: str) -> List[Dict[str, Any]]:
        response = self._each_instance(lambda base: self.http.get(
            f"{base}/conversations/{requests.utils.quote(sender)}/tracker",
            params={"token": self.token, "include_events": "ALL"}, timeout=self.timeout_s))
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
        text = str(event.get("text") or "")
        # A press of a help button is stored as its command ("/danger"); the chat shows its title.
        # Only a press says so: the same text typed stays as typed.
        metadata = event.get("metadata")
        if text in c.ALWAYS_BUTTONS and isinstance(metadata, dict) and metadata.get(c.PRESS_KEY) == text:
            text = c.ALWAYS_BUTTONS[text]
        return Turn("person", text)
    if event.get("event") == "bot":
        data = event.get("data") or {}
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload") or b.get("title", ""))}
                   for b in data.get("buttons") or [] if isinstance(b, dict)]
        return Turn("assistant", str(event.get("text") or ""), buttons)
    return None
