"""Recognise answers to the assistant's closed questions (consent, role, safe now, ...).

Why ordered regex rules over the normalised text: answers are short, and the
order of checks carries the meaning ("not sure" is not "no", "not really" is
"no", "no idea" is "don't know", "yes and no" is "partly"). A list of
(value, patterns) checked top to bottom says that plainly; token matching
would add nothing for two- or three-word replies. The rules are data, in
patterns/answers.yml (checked by bot/language/rule_files.py); this module is
the engine. Values come from constants.ANSWER_KINDS; None means "unclear,
ask again".
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Sequence, Tuple

from bot.constants import (
    DECLINED,
    DONT_KNOW,
    LATER,
    NOT_SURE,
    PARTLY,
)
from bot.language.normalise import normalise
from bot.language.rule_files import AnswerFile, PlainYesFile, load_rules

ANSWERS_FILE = Path(__file__).with_name("patterns") / "answers.yml"
Compiled = Dict[str, List[Tuple[Optional[str], List[Pattern[str]]]]]


@dataclass(frozen=True)
class _AnswerRules:
    compiled: Compiled
    nothing_more: Tuple[str, ...]
    not_sure: Tuple[str, ...]
    fillers: Tuple[str, ...]
    not_sure_fillers: Tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _answer_rules() -> _AnswerRules:
    """Read, check and compile patterns/answers.yml once per process."""
    spec = load_rules(ANSWERS_FILE, AnswerFile)
    blocks = {name: "|".join(alternatives) for name, alternatives in spec.blocks.items()}

    def expand(pattern: str) -> str:
        for name, alternation in blocks.items():
            pattern = pattern.replace(f"@{name}@", alternation)
        return pattern

    compiled: Compiled = {
        kind: [(rule.value, [re.compile(expand(p)) for p in rule.patterns]) for rule in rules]
        for kind, rules in spec.kinds.items()
    }
    phrases = spec.phrases
    fillers = tuple(phrases.fillers)
    return _AnswerRules(compiled, tuple(phrases.nothing_more), tuple(phrases.not_sure), fillers,
                        fillers + tuple(phrases.not_sure_fillers))


def _clean(text: str) -> str:
    """Normalised text with punctuation turned into spaces (apostrophes kept)."""
    out = normalise(text)
    out = re.sub(r"[^\w'\s👍👎]", " ", out)
    return re.sub(r"\s+", " ", out).strip()


def _match(clean: str, kind: str) -> Optional[str]:
    for value, patterns in _answer_rules().compiled[kind]:
        if any(p.search(clean) for p in patterns):
            return value
    return None


# Checked on the whole message before the answer it leads with: some and not others is "partly".
_MIXED = re.compile(
    r"\b(did|was|were|has|have|does|do)\b[\s,;]+\w.*\b(didn't|wasn't|weren't|hasn't|haven't|doesn't|don't)\b"
    r"|\b(didn't|wasn't|weren't|hasn't|haven't|doesn't|don't)\b[\s,;]+\w.*\b(did|was|were|has|have|does|do)\b\W*$"
)
_MIXED_KINDS = {"feedback": PARTLY, "achieved": PARTLY}
# "yeah no": a British "no".
_YEAH_NO = re.compile(r"^(yes|yeah),? no\b")
_BARE = re.compile(r"^(yes|yeah|yep|no|nope|nah|ok|okay|well|oh|um|erm)( (yes|no|well|oh))*$")
_MORE_EXACT = frozenset({LATER, PARTLY, DONT_KNOW, NOT_SURE, DECLINED})
_LEAD_SPLIT = re.compile(r"[,.;:!?]+|\s+-\s+|\bbut\b|\.\.\.")


def recognise_answer(text: str, kind: str) -> Optional[str]:
    """The answer value for a question of this kind, or None when it is unclear.

    The answer a person leads with wins ("yes but can we stop if I get upset"
    is a yes; "partly, but I don't know if it'll last" is partly). When the
    first part says nothing, the last part may ("don't know... ok yes").
    Only "do you feel safe?" is read whole: there, any worry must count.
    """
    if kind not in _answer_rules().compiled:
        raise KeyError(f"unknown answer kind: {kind!r}")
    norm = _YEAH_NO.sub("no", normalise(text))
    clean = _clean(norm)
    if not clean:
        return None
    if kind in _MIXED_KINDS and re.search(r"\b(did|was|were|has|have|does|do)\s*(,|\bbut\b)", norm) and _MIXED.search(
            re.sub(r"[^\w',;\s]", " ", norm)):
        return _MIXED_KINDS[kind]
    if kind != "safe":
        parts = [_clean(p) for p in _LEAD_SPLIT.split(norm) if _clean(p)]
        if len(parts) > 1:
            first = _match(parts[0], kind)
            if first is not None and _BARE.match(parts[0]):
                # "no, not today": a bare yes or no, then something more exact, which wins.
                rest = _match(" ".join(parts[1:]), kind)
                if rest in _MORE_EXACT:
                    return rest
            if first is not None:
                return first
            last = _match(parts[-1], kind)
            if last is not None:
                return last
    return _match(clean, kind)


# --- "nothing more" and "not sure": the whole message must be such a phrase (plus fillers) ---

def _only_phrases(text: str, phrases: Sequence[str], fillers: Sequence[str]) -> bool:
    """True when the text is one or more of the phrases plus filler words, and nothing else."""
    clean = " " + _clean(text) + " "
    if not clean.strip():
        return False
    found = False
    for phrase in sorted(phrases, key=len, reverse=True):
        pattern = " " + phrase + " "
        while pattern in clean:
            clean = clean.replace(pattern, "  ", 1)
            found = True
    if not found:
        return False
    for filler in sorted(fillers, key=len, reverse=True):
        pattern = " " + filler + " "
        while pattern in clean:
            clean = clean.replace(pattern, "  ", 1)
    return not clean.strip()


def is_nothing_more(text: str) -> bool:
    """ "no", "nothing else", "that's all": the person has no more wishes to add."""
    return _only_phrases(text, _answer_rules().nothing_more, _answer_rules().fillers)


def is_not_sure(text: str) -> bool:
    """ "not sure", "don't know what I want", "idk": the person cannot say yet (not a refusal)."""
    return _only_phrases(text, _answer_rules().not_sure, _answer_rules().not_sure_fillers)


# --- a plain yes to "are you safe?" (issue 15): the only way a typed answer is taken as safe ---

PLAIN_YES_FILE = Path(__file__).with_name("patterns") / "plain_yes.yml"


@functools.lru_cache(maxsize=1)
def _plain_yes() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    spec = load_rules(PLAIN_YES_FILE, PlainYesFile)
    return tuple(_clean(p) for p in spec.plain_yes), tuple(_clean(f) for f in spec.fillers)


def is_plain_yes(text: str) -> bool:
    """ "yes", "I'm safe", "she's fine thanks": a yes and nothing else (no hedge, no worry, no question)."""
    if "?" in text:
        return False  # a question back is never a yes
    phrases, fillers = _plain_yes()
    return _only_phrases(text, phrases, fillers)
