"""A terminal conversation with the running assistant, over its REST channel.

Buttons are shown numbered: type the number, or answer in your own words.

It runs on the server, so it holds both of the channel's credentials
(`bot/channel_auth.py`): the opening `/start{...}` and a button press go with
RASA_AUTH_TOKEN; whatever is typed goes signed with WEB_CHANNEL_SECRET, as the
web app sends a person's words, so a typed "/" text stays words.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional

import requests

from bot.channel_auth import signed_json
from bot.constants import PRESS_KEY
from bot.settings import Settings


def _send(
    url: str, sender: str, message: str, token: Optional[str] = None, secret: str = "",
    metadata: Optional[Dict[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """One message: with the token (a command may be read), or else signed (words only).

    Without the token the REST channel keeps a "/" text as the person's words,
    so what a person types can never open or reset a conversation.
    """
    payload: Dict[str, Any] = {"sender": sender, "message": message}
    if metadata:
        payload["metadata"] = metadata
    if token:
        response = requests.post(url, params={"token": token}, json=payload, timeout=60)
    else:
        body, headers = signed_json(payload, secret)
        response = requests.post(url, params=None, data=body, headers=headers, timeout=60)
    response.raise_for_status()
    return response.json()


def _show(replies: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    buttons: List[Dict[str, str]] = []
    for reply in replies:
        if reply.get("text"):
            print(f"\nAssistant: {reply['text']}")
        for button in reply.get("buttons") or []:
            buttons.append(button)
            print(f"   {len(buttons)}) {button.get('title')}")
    return buttons


# Without the server's token the REST channel would keep `/start{...}` as typed words.
NO_TOKEN_WARNING = (
    "RASA_AUTH_TOKEN is not set here, so the chat cannot name a stage, enquiry or role:\n"
    "it opens with a plain hello. Put the token `msp serve` uses into .env to open it properly."
)
# Without the secret the REST channel takes nothing typed (401).
NO_SECRET = (
    "WEB_CHANNEL_SECRET is not set here, so the assistant would take nothing you type.\n"
    "Run `msp setup` (make run does), or put the secret `msp serve` uses into .env."
)


def run_chat(settings: Settings, sender: str, opening: str) -> int:
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    secret = settings.web_channel_secret
    if not secret:
        print(NO_SECRET, file=sys.stderr)
        return 1
    token: Optional[str] = settings.rasa_auth_token
    if settings.token_generated:  # a made-up token here is not the server's
        print(NO_TOKEN_WARNING, file=sys.stderr)
        opening, token = "hello", None
    try:
        buttons = _show(_send(url, sender, opening, token=token, secret=secret))
    except requests.RequestException:
        print(
            "The assistant is not running. Start it with `make run` in another terminal,\n"
            "wait until it says it is running, then try `make chat` again.",
            file=sys.stderr,
        )
        return 1
    print(f"\n(Conversation id: {sender}. Type /quit to leave; you can come back with"
          f" `msp chat --sender {sender}`.)")
    while True:
        try:
            text = input("\nYou: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit"):
            return 0
        if not text:
            continue
        # A number is a button press: its title as the text, the press in its own field, as the
        # web app sends it, with the token (a press is ours to vouch for, not typed words).
        metadata, press_token = None, None
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            button = buttons[int(text) - 1]
            text = str(button.get("title") or text)
            metadata, press_token = {PRESS_KEY: str(button.get("payload") or text)}, token
        try:
            buttons = _show(_send(url, sender, text, token=press_token, secret=secret, metadata=metadata))
        except requests.RequestException as exc:
            print(f"Sorry, the assistant did not answer ({exc}). Please try again.",
                  file=sys.stderr)
