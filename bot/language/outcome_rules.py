"""The outcome rules' data: patterns/outcomes.yml loaded and checked (bot/language/outcomes.py applies them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

from spacy.matcher import Matcher

from bot.language.matching import (
    build_matcher,
    cue_words,
    make_doc,
)
from bot.language.rule_files import OutcomeFile, OutcomeGroup, check, load_rules

PATTERNS_FILE = Path(__file__).parent / "patterns" / "outcomes.yml"

# --- the pattern file -------------------------------------------------------------------------

# Polarity of a group: how a negation before a match changes its meaning (see the pattern file).
NORMAL = "normal"
ABSORB = "absorb"
NEG = "negated"
POS_ONLY = "positive_only"

_FLAGS = ("weak", "last_resort", "needs_wish", "whole_clause", "ends_clause", "opens_message", "in_statements")

# Cue lists matched as written: "keeps" is a finite verb, "keeping" is not.
_EXACT_CUES = frozenset({"finite", "verb_starts"})


@dataclass(frozen=True)
class _Group:
    """A named group of patterns for one code that share a polarity and options (see the pattern file)."""

    name: str
    code: str
    polarity: str
    patterns: Tuple[str, ...]
    flags: FrozenSet[str]
    not_before: FrozenSet[str]
    unless: FrozenSet[str]
    gives_way_to: FrozenSet[str]

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class _Rules:
    groups: Tuple[_Group, ...]
    matcher: Matcher
    wish_matcher: Matcher
    no_wish_matcher: Matcher
    talk_matcher: Matcher
    talk_whole_matcher: Matcher
    preamble_matcher: Matcher
    suppresses: FrozenSet[Tuple[str, str]]
    still_dropped: FrozenSet[Tuple[str, str]]
    negated_means: FrozenSet[Tuple[str, str]]
    never_negated: FrozenSet[str]
    cues: Dict[str, FrozenSet[str]]
    uncertain: Tuple[Tuple[str, ...], ...]
    not_negating: Tuple[Tuple[str, ...], ...]


_PHRASE_CUES = ("uncertain", "not_negating")  # cue lists of phrases, matched as lemma sequences


def _phrases(values: Sequence[Any]) -> Tuple[Tuple[str, ...], ...]:
    return tuple(tuple(t.lemma_ for t in make_doc(str(p))) for p in values)


def _words(values: Sequence[Any], lemmas: bool = True, macros: Optional[Mapping[str, List[str]]] = None
           ) -> FrozenSet[str]:
    """A word list as lower-case words and, unless exact, their lemmas; "@NAME" is a list from `words:`."""
    expanded: List[str] = []
    for value in values:
        text = str(value)
        expanded.extend((macros or {})[text[1:]] if text.startswith("@") else [text])
    return cue_words((w.lstrip("~").replace("_", " ") for w in expanded), lemmas)


def _group(data: Union[OutcomeGroup, Mapping[str, Any]], macros: Mapping[str, List[str]]) -> _Group:
    """One group of the pattern file, checked against its schema: a typo in a reviewed file must not pass."""
    spec = data if isinstance(data, OutcomeGroup) else check(PATTERNS_FILE.name, data, OutcomeGroup)
    return _Group(
        name=spec.name,
        code=spec.code,
        polarity=spec.polarity,
        patterns=tuple(spec.patterns),
        flags=frozenset(flag for flag in _FLAGS if getattr(spec, flag)),
        not_before=_words(spec.not_before),
        unless=_words(spec.unless, macros=macros),
        gives_way_to=frozenset(spec.gives_way_to),
    )


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
    """Read, check and compile the pattern file once per process."""
    data = load_rules(PATTERNS_FILE, OutcomeFile)
    macros = data.words
    groups = tuple(_group(g, macros) for g in data.groups)
    cues = data.clauses
    return _Rules(
        groups=groups,
        matcher=build_matcher({f"G{i}": g.patterns for i, g in enumerate(groups)}, macros),
        wish_matcher=build_matcher({"WISH": data.wish_words}, macros),
        no_wish_matcher=build_matcher({"NO_WISH": data.no_wish}, macros),
        talk_matcher=build_matcher({"TALK": data.about_the_conversation}, macros),
        talk_whole_matcher=build_matcher({"TALK": data.about_the_conversation_whole}, macros),
        preamble_matcher=build_matcher({"ROLE": data.speaker_preamble}, macros),
        suppresses=frozenset(data.suppresses),
        still_dropped=frozenset(data.still_dropped),
        negated_means=frozenset(data.negated_means),
        never_negated=frozenset(data.never_negated),
        cues={name: _words(values, lemmas=name not in _EXACT_CUES) for name, values in cues.items()
              if name not in _PHRASE_CUES},
        uncertain=_phrases(cues["uncertain"]),
        not_negating=_phrases(cues["not_negating"]),
    )


def _cue(token: Any, name: str) -> bool:
    """Is this token (by text or, for most lists, lemma) in the cue list `name` of the pattern file?"""
    words = _rules().cues[name]
    return token.lower_ in words or (name not in _EXACT_CUES and token.lemma_ in words)
