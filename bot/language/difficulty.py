"""Noticing when taking part is hard: the signs one message shows, and the reasons a whole conversation meets.

The rule is data (`patterns/difficulty.yml`, checked by the schema below);
this is the engine. It returns codes, never words: the action layer keeps
each message's signs (a list of codes per message, in a slot), and asks
`reasons` of the whole list each turn. Why count over the conversation, not
one message: one "what?" is an ordinary question; the same trouble again and
again is what the Care Act calls substantial difficulty, and only then is an
advocate offered. Whether the person lacks capacity is never decided here.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from pydantic import root_validator, validator
from spacy.matcher import Matcher

from bot import constants as c
from bot.language.matching import build_matcher, cue_words, lemmas, make_doc, split_clauses
from bot.language.repair import detect_repair
from bot.language.rule_files import _Strict, load_rules

PATTERNS_FILE = Path(__file__).with_name("patterns") / "difficulty.yml"

# What the form tells the engine: the message was no answer to the question (it rephrased).
UNCLEAR = "unclear"
REPAIR_SIGNS = ("not_understood", "repair")
SAID_SIGNS = ("says_reading_is_hard", "says_remembering_is_hard", "says_they_cannot_answer")
SIGNS: Tuple[str, ...] = (*REPAIR_SIGNS, UNCLEAR, *SAID_SIGNS)
UNKNOWN_ROLE = "unknown"  # before the assistant knows who is speaking


def _known(values: Sequence[str], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}")


class Reason(_Strict):
    """One reason: its code, the signs it counts, and its threshold (at least N in all, or N in a row)."""

    code: str
    signs: List[str]
    at_least: Optional[int] = None
    in_a_row: Optional[int] = None

    @validator("code")
    def _known_code(cls, value: str) -> str:  # noqa: N805 (pydantic's validators take the class)
        _known([value], c.DIFFICULTY_REASONS, "reason")
        return value

    @validator("signs")
    def _known_signs(cls, values: List[str]) -> List[str]:  # noqa: N805
        _known(values, SIGNS, "sign")
        return values

    @root_validator(skip_on_failure=True)
    def _one_threshold(cls, values: Dict[str, object]) -> Dict[str, object]:  # noqa: N805
        given = [n for n in (values.get("at_least"), values.get("in_a_row")) if n is not None]
        if len(given) != 1 or int(str(given[0])) < 1:
            raise ValueError("give exactly one of at_least or in_a_row, a number of 1 or more")
        return values


class Said(_Strict):
    patterns: List[str]
    unless: List[str] = []


class DifficultyFile(_Strict):
    repair_signs: Dict[str, List[str]]
    sign_roles: Dict[str, List[str]]
    reasons: List[Reason]
    words: Dict[str, List[str]] = {}
    says: Dict[str, Said]

    @validator("repair_signs")
    def _known_repairs(cls, value: Dict[str, List[str]]) -> Dict[str, List[str]]:  # noqa: N805
        _known(list(value), c.REPAIRS, "repair")
        _known([s for signs in value.values() for s in signs], REPAIR_SIGNS, "sign")
        return value

    @validator("sign_roles")
    def _every_sign_has_roles(cls, value: Dict[str, List[str]]) -> Dict[str, List[str]]:  # noqa: N805
        if set(value) != set(SIGNS):
            raise ValueError(f"give the roles of exactly these signs: {sorted(SIGNS)}")
        _known([r for roles in value.values() for r in roles], (*c.ROLES, UNKNOWN_ROLE), "role")
        return value

    @validator("says")
    def _known_said(cls, value: Dict[str, Said]) -> Dict[str, Said]:  # noqa: N805
        _known(list(value), SAID_SIGNS, "sign")
        return value


@functools.lru_cache(maxsize=1)
def rules() -> DifficultyFile:
    return load_rules(PATTERNS_FILE, DifficultyFile)


@functools.lru_cache(maxsize=1)
def _matchers() -> Dict[str, Tuple[Matcher, FrozenSet[str]]]:
    """Each said sign's matcher (over lemmas) and the words that cancel it in a clause."""
    found = rules()
    return {sign: (build_matcher({sign: said.patterns}, found.words), cue_words(said.unless))
            for sign, said in found.says.items()}


def _says(text: str) -> List[str]:
    """The said signs a message shows, clause by clause."""
    shown: List[str] = []
    for clause in split_clauses(text):
        doc = make_doc(clause)
        words = set(lemmas(doc)) | {t.lower_ for t in doc}
        for sign, (matcher, unless) in _matchers().items():
            if sign not in shown and matcher(doc) and not words & unless:
                shown.append(sign)
    return shown


def signs_of(text: str, role: Optional[str], unclear: bool = False) -> List[str]:
    """The signs one message at a question shows, for the speaker's role (None: not known yet).

    `unclear`: the form could not take the message as an answer and asked again.
    A message that answered the question shows none of the repair signs.
    """
    found: List[str] = []
    repair = detect_repair(text) if text else None
    found.extend(rules().repair_signs.get(repair or "", []))
    if unclear:
        found.append(UNCLEAR)
    if text:
        found.extend(_says(text))
    allowed = rules().sign_roles
    who = role if role in c.ROLES else UNKNOWN_ROLE
    return [sign for sign in dict.fromkeys(found) if who in allowed[sign]]


def _longest_row(history: Sequence[Sequence[str]], signs: FrozenSet[str]) -> int:
    best = run = 0
    for shown in history:
        run = run + 1 if signs & set(shown) else 0
        best = max(best, run)
    return best


def reasons(history: Sequence[Sequence[str]]) -> List[str]:
    """The reason codes a conversation meets: `history` is each message's signs, in order."""
    met: List[str] = []
    for reason in rules().reasons:
        signs = frozenset(reason.signs)
        if reason.in_a_row is not None:
            if _longest_row(history, signs) >= reason.in_a_row:
                met.append(reason.code)
        elif sum(1 for shown in history if signs & set(shown)) >= (reason.at_least or 1):
            met.append(reason.code)
    return list(dict.fromkeys(met))
