"""A terminal conversation with the running assistant, over its REST channel.

Buttons are shown numbered: type the number, or answer in your own words.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional

import requests

from bot.settings import Settings


def _send(
    url: str, sender: str, message: str, token: Optional[str] = None
) -> List[Dict[str, Any]]:
    """One message; only the opening `/start{...}` carries the token.

    Without it the REST channel keeps a "/" text as the person's words, so
    what a person types can never open or reset a conversation.
    """
    response = requests.post(
        url,
        params={"token": token} if token else None,
        json={"sender": sender, "message": message},
        timeout=60,
    )
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


def run_chat(settings: Settings, sender: str, opening: str) -> int:
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    token: Optional[str] = settings.rasa_auth_token
    if settings.token_generated:  # a made-up token here is not the server's
        print(NO_TOKEN_WARNING, file=sys.stderr)
        opening, token = "hello", None
    try:
        buttons = _show(_send(url, sender, opening, token=token))
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
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1].get("payload") or text
        try:
            buttons = _show(_send(url, sender, text))
        except requests.RequestException as exc:
            print(f"Sorry, the assistant did not answer ({exc}). Please try again.",
                  file=sys.stderr)
