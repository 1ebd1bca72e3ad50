"""The outcome rules' data: patterns/outcomes.yml loaded and checked (bot/language/outcomes.py applies them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from spacy.matcher import Matcher

from bot.constants import OUTCOME_CODES
from bot.language.matching import (
    build_matcher,
    lemma_set,
    load_patterns,
    make_doc,
)

PATTERNS_FILE = Path(__file__).parent / "patterns" / "outcomes.yml"

# --- the pattern file -------------------------------------------------------------------------

# Polarity of a group: how a negation before a match changes its meaning (see the pattern file).
NORMAL = "normal"
ABSORB = "absorb"
NEG = "negated"
POS_ONLY = "positive_only"
_POLARITIES = frozenset({NORMAL, ABSORB, NEG, POS_ONLY})

_FLAGS = ("weak", "last_resort", "needs_wish", "whole_clause", "ends_clause", "opens_message", "in_statements")
_GROUP_KEYS = frozenset({"name", "code", "polarity", "patterns", "not_before", "unless", "gives_way_to", *_FLAGS})

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
    plain = tuple(w.lower().lstrip("~").replace("_", " ") for w in expanded)
    return (lemma_set(plain) if lemmas else frozenset()) | frozenset(plain)


def _group(data: Mapping[str, Any], macros: Mapping[str, List[str]]) -> _Group:
    """One group of the pattern file, checked: a typo in a reviewed file must not pass silently."""
    name = str(data.get("name"))
    unknown = set(data) - _GROUP_KEYS
    if unknown:
        raise ValueError(f"{PATTERNS_FILE.name}: unknown option {sorted(unknown)} in group {name!r}")
    group = _Group(
        name=name,
        code=str(data["code"]),
        polarity=str(data.get("polarity", NORMAL)),
        patterns=tuple(str(p) for p in data["patterns"]),
        flags=frozenset(flag for flag in _FLAGS if data.get(flag)),
        not_before=_words(data.get("not_before") or ()),
        unless=_words(data.get("unless") or (), macros=macros),
        gives_way_to=frozenset(str(c) for c in data.get("gives_way_to") or ()),
    )
    if group.code not in OUTCOME_CODES or group.polarity not in _POLARITIES or not group.gives_way_to <= set(
        OUTCOME_CODES
    ):
        raise ValueError(f"{PATTERNS_FILE.name}: bad code or polarity in group {name!r}")
    return group


def _pairs(data: Mapping[str, Any], key: str) -> FrozenSet[Tuple[str, str]]:
    pairs = frozenset((str(a), str(b)) for a, b in data.get(key) or ())
    if not {code for pair in pairs for code in pair} <= set(OUTCOME_CODES):
        raise ValueError(f"{PATTERNS_FILE.name}: unknown code in {key}")
    return pairs


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
    """Read and compile the pattern file once per process."""
    data = load_patterns(PATTERNS_FILE)
    macros = {name: [str(w) for w in words] for name, words in (data.get("words") or {}).items()}
    groups = tuple(_group(g, macros) for g in data["groups"])
    cues = data["clauses"]
    return _Rules(
        groups=groups,
        matcher=build_matcher({f"G{i}": g.patterns for i, g in enumerate(groups)}, macros),
        wish_matcher=build_matcher({"WISH": data["wish_words"]}, macros),
        no_wish_matcher=build_matcher({"NO_WISH": data["no_wish"]}, macros),
        talk_matcher=build_matcher({"TALK": data["about_the_conversation"]}, macros),
        talk_whole_matcher=build_matcher({"TALK": data["about_the_conversation_whole"]}, macros),
        preamble_matcher=build_matcher({"ROLE": data["speaker_preamble"]}, macros),
        suppresses=_pairs(data, "suppresses"),
        still_dropped=_pairs(data, "still_dropped"),
        negated_means=_pairs(data, "negated_means"),
        never_negated=frozenset(str(c) for c in data.get("never_negated") or ()),
        cues={name: _words(values, lemmas=name not in _EXACT_CUES) for name, values in cues.items()
              if name not in _PHRASE_CUES},
        uncertain=_phrases(cues["uncertain"]),
        not_negating=_phrases(cues["not_negating"]),
    )


def _cue(token: Any, name: str) -> bool:
    """Is this token (by text or, for most lists, lemma) in the cue list `name` of the pattern file?"""
    words = _rules().cues[name]
    return token.lower_ in words or (name not in _EXACT_CUES and token.lemma_ in words)
