"""Detect "repairs": when, instead of answering, a person wants to stop, asks what a question
means, asks why it is asked, asks for a human or an advocate, or declines to answer.

The wordings are data (`patterns/repair.yml`); this is the engine. Why only
whole repairs: a missed repair costs one clarifying turn, but a false one
loses what the person said ("I'd rather not say what happened but I want him
gone" is a wish; "can we stop the investigation" is a wish, not "stop the
chat"). So `detect_repair` answers only when every clause of the message is a
repair or a polite filler; `repair_anywhere` finds one inside a longer
message, for when nothing else in it could be understood.
Note: "not now" is a stop here; the consent question asks recognise_answer
first and treats it as `later`.
"""

import functools
import re
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Tuple  # noqa: F401

from bot import constants as c
from bot.language.matching import load_patterns, split_clauses
from bot.language.normalise import normalise

PATTERNS_FILE = Path(__file__).with_name("patterns") / "repair.yml"
_NAMES = {
    "stop": c.REPAIR_STOP, "ask_why": c.REPAIR_WHY, "ask_human": c.REPAIR_HUMAN,
    "ask_advocate_help": c.REPAIR_ADVOCATE, "decline_answer": c.REPAIR_DECLINE, "explain": c.REPAIR_EXPLAIN,
}


def _alternation(phrases: List[str]) -> str:
    return "|".join(p.strip() for p in phrases if p and p.strip())


@functools.lru_cache(maxsize=1)
def _rules() -> Tuple[List[Tuple[str, Pattern[str], List[Pattern[str]]]], Pattern[str]]:
    """(repair, whole-clause pattern, inside-clause patterns) in order, and the filler pattern."""
    data = load_patterns(PATTERNS_FILE)
    before = _alternation([str(w) for w in data["before"]])
    after = _alternation([str(w) for w in data["after"]])
    reasons = _alternation([str(w) for w in data.get("reasons") or []]) or r"(?!)"
    person = re.sub(r"\s+", " ", str(data["person"])).replace("| ", "|").strip()
    compiled = []
    for name in data["order"]:
        spec: Dict[str, List[str]] = data["repairs"][name]
        whole = _alternation(spec.get("whole") or []) or r"(?!)"
        whole_re = re.compile(rf"^(?:(?:{before})\s+)*(?:{whole})(?:\s+(?:{after}))*(?:\s+(?:{reasons}))?$")
        inside = [re.compile(str(p).replace("{PERSON}", person)) for p in spec.get("anywhere") or []]
        compiled.append((_NAMES[name], whole_re, inside))
    fillers = re.compile(rf"^(?:(?:{before}|{after})\s*)+$|^(?:(?:{before})\s+)*(?:{reasons})(?:\s+(?:{after}))*$")
    return compiled, fillers


def _clean(text: str) -> str:
    """Normalised text with punctuation (except ' and ?) turned into spaces."""
    out = normalise(text)
    out = re.sub(r"[^\w'?\s]", " ", out)
    out = re.sub(r"\s*\?+", "?", out)
    return re.sub(r"\s+", " ", out).strip()


# A yes or a no after a repair is an answer to the question, not a polite word.
_ANSWERISH = re.compile(r"\b(yes|yeah|yep|no|nope|nah|ok|okay)\b")


def _repair_of(clause: str) -> Optional[str]:
    """The repair this one clause is, or None."""
    bare = clause.replace("?", "").strip()
    if not bare:
        return None
    for name, whole, inside in _rules()[0]:
        if whole.match(bare) or any(p.search(clause) or p.search(bare) for p in inside):
            return name
    return None


def _clauses(text: str) -> List[str]:
    return [cl for cl in (_clean(part) for part in split_clauses(text)) if cl.replace("?", "").strip()]


def detect_repair(text: str) -> Optional[str]:
    """The repair the person asks for, when the message is nothing but that repair (and polite words)."""
    clauses = _clauses(text)
    if not clauses:
        return None
    found: List[str] = []
    for clause in clauses:
        repair = _repair_of(clause)
        if repair:
            found.append(repair)
        elif not _rules()[1].match(clause.replace("?", "").strip()):
            return None  # this clause says something else (a wish, an answer): the words win
        elif found and _ANSWERISH.search(clause):
            return None  # "what's that... oh, yes please": asked, then answered
    return found[0] if found else None


def repair_anywhere(text: str) -> Optional[str]:
    """A repair asked for somewhere in the message, even beside other words."""
    for clause in _clauses(text) + [_clean(text)]:
        repair = _repair_of(clause)
        if repair:
            return repair
    return None


# "Actually, for the last one I meant partly": a change to the answer just given.
# Only an explicit reference back counts, so "actually yes" still answers the
# question being asked.
_BACK_REFERENCE = re.compile(
    r"\b(the )?(last|previous|earlier) (one|question|answer)\b"
    r"|\b(my|that) (last |previous |earlier )?answer\b"
    r"|\b(change|changed) (my|that|the) answer\b"
    r"|\bgo back to (the|that|my) (last |previous |earlier )?(question|answer|one)\b"
    r"|^go back\b(?! to)"
)
_REFERENCE_WORDS = re.compile(
    r"\b(actually|sorry|wait|i meant|i mean|meant|about|for|to|on|can i|could i|i want to|i'd like to|"
    r"please|change|changed|go back|my|that|the|last|previous|earlier|one|question|"
    r"answer|mind|before|it|was|is|should be|should have said|said)\b"
)


def change_of_earlier_answer(text: str) -> Optional[str]:
    """The new answer's words when the person changes their earlier answer, else None.

    "actually for the last question I meant partly" -> "partly".
    """
    clean = _clean(text)
    if not _BACK_REFERENCE.search(clean):
        return None
    rest = re.sub(r"\s+", " ", _REFERENCE_WORDS.sub(" ", clean.replace("?", " "))).strip(" ,.")
    return rest or None
