"""What the danger rules read: a signal and a reading (bot/language/danger.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from bot.language.danger_rules import CLEAR


@dataclass(frozen=True)
class DangerSignal:
    """What raised the alarm: the kind, and the words that triggered it (normalised)."""

    kind: str  # "danger" or "self_harm"
    phrase: str  # the words that triggered it
    level: str = CLEAR  # clear or possible
    rule: str = ""  # the pattern group's name
    why: str = ""  # what lowered it to a gentle check, if anything


@dataclass(frozen=True)
class DangerReading:
    """The message's tier and every signal found (for the benchmark and the tests)."""

    level: str
    signals: Tuple[DangerSignal, ...] = ()

    @property
    def first(self) -> Optional[DangerSignal]:
        found = [s for s in self.signals if s.level == self.level]
        return found[0] if found else None
