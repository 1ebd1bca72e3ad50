"""A wish taken off the list by naming it: "take off the something else one", "scrap the last one".

The wordings are data (`patterns/withdraw.yml`); this is the engine. A
message counts only when it is nothing but such a request, so a new wish that
happens to say "remove" ("I want him removed from the house") is never read
as taking one away.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Pattern, Tuple

import yaml

from bot.constants import OUTCOME_CODES
from bot.language.normalise import normalise

PATTERNS_FILE = Path(__file__).with_name("patterns") / "withdraw.yml"
_KEYS = {"openers", "verbs", "articles", "tails", "positions", "references"}


@dataclass(frozen=True)
class Withdrawal:
    """Which wish to take away: by its code, or by its place in the list (0 first, -1 last)."""

    code: Optional[str] = None
    position: Optional[int] = None


def _alternation(words: object) -> str:
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ValueError(f"{PATTERNS_FILE.name}: expected a list of phrases, got {words!r}")
    return "|".join(re.escape(w.strip()) for w in sorted(words, key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _rules() -> Tuple[Pattern[str], Dict[str, Withdrawal]]:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != _KEYS:
        raise ValueError(f"{PATTERNS_FILE.name} must hold exactly the keys {sorted(_KEYS)}")
    targets: Dict[str, Withdrawal] = {}
    for word, place in (data["positions"] or {}).items():
        targets[str(word)] = Withdrawal(position=int(place))
    for code, words in (data["references"] or {}).items():
        if code not in OUTCOME_CODES:
            raise ValueError(f"{PATTERNS_FILE.name}: {code!r} is not an outcome code")
        for word in words:
            targets.setdefault(str(word), Withdrawal(code=code))
    reference = "|".join(re.escape(t) for t in sorted(targets, key=len, reverse=True))
    pattern = re.compile(
        rf"^(?:(?:{_alternation(data['openers'])})\s+)*(?:{_alternation(data['verbs'])})\s+"
        rf"(?:(?:{_alternation(data['articles'])})\s+)*(?P<ref>{reference})"
        rf"(?:\s+(?:{_alternation(data['tails'])}))*$"
    )
    return pattern, targets


def _clean(text: str) -> str:
    out = re.sub(r"[^\w'\s]", " ", normalise(text))
    return re.sub(r"\s+", " ", out).strip()


def withdrawal(text: str) -> Optional[Withdrawal]:
    """The wish this message takes off the list, when that is all it says; else None."""
    pattern, targets = _rules()
    found = pattern.match(_clean(text))
    return targets.get(found.group("ref")) if found else None
