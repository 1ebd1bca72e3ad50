"""Play a whole enquiry on the chat page with words no one else uses, then look for them everywhere.

Shared by the embedded path (tests/conversations/test_privacy_live.py) and
the production path (tests/production/test_privacy_pg.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Tuple

from tests.conversations.driver import OnThePage, run_scenario

MARK = "quokka"


@dataclass(frozen=True)
class Played:
    ref: str
    tag: str  # in every piece of the person's words, and nowhere else
    words: Tuple[str, ...]
    conversation_ids: Tuple[str, ...]


def play_enquiry(msp: Callable[..., Any], export: Callable[..., List[Dict[str, Any]]], web_url: str,
                 rasa_url: str, token: str) -> Played:
    """Both stages on the chat page, by invitation, with a wish, a second wish and a comment."""
    tag = f"{MARK}{uuid.uuid4().hex[:10]}"
    ref = f"PRIV-{tag[-6:]}"
    wish = f"I want the {tag} man to stop taking my pension"
    second = f"I want to feel safe in my flat again, {tag} scares me"
    comment = f"the {tag} worker really listened to me"
    ids = []
    for stage, answers in (
        ("outcomes", {"consent_to_talk": "yes", "feels_safe_now": "yes", "wants_advocate": "no",
                      "desired_outcomes": [wish, second, "no"], "outcomes_confirmed": "yes"}),
        ("review", {"consent_to_talk": "yes", "goals_met": "yes", "chance_to_say": "yes", "listened_to": "yes",
                    "acted_on_wishes": "yes", "feel_safe": "yes", "happier": "yes",
                    "feedback_comments": comment}),
    ):
        link = str(msp("invite", "--enquiry", ref, "--stage", stage, "--role", "person").stdout).strip()

        def find_id(stage: str = stage) -> str:
            found = [r for r in export(ref) if r["stage"] == stage]
            assert len(found) == 1, found
            return str(found[0]["conversation_id"])

        chat = OnThePage(rasa_url, token, sender="", find_id=find_id)
        run_scenario(chat, {"name": f"privacy {stage}", "start": link, "answers": answers,
                            "achieved": _EveryWish(yes="yes")})
        ids.append(chat.sender)
    return Played(ref, tag, (wish, second, comment), tuple(ids))


class _EveryWish(dict):  # type: ignore[type-arg]
    """`achieved` for whatever codes the wishes got: "yes" for each."""

    def get(self, key: Any, default: Any = None) -> Any:
        return "yes"


def files_under(*roots: Path) -> Iterable[Path]:
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                yield path


def files_holding(needle: str, paths: Iterable[Path]) -> Dict[str, int]:
    """Files whose raw bytes hold the needle (as UTF-8, any case): path -> times."""
    wanted = needle.lower().encode("utf-8")
    found = {}
    for path in paths:
        try:
            data = path.read_bytes().lower()
        except OSError:
            continue
        if wanted in data:
            found[str(path)] = data.count(wanted)
    return found
