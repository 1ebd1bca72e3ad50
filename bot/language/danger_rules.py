"""The danger rules' data (patterns/danger.yml, loaded and checked), their levels, and a message in clauses.

bot/language/danger.py judges each match in its clause with them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.language.matching import build_matcher, cue_words
from bot.language.rule_files import DangerFile, load_rules

DANGER = "danger"
SELF_HARM = "self_harm"

CLEAR = "clear"
POSSIBLE = "possible"
REVIEW = "review"  # the learned reader's third tier: carry on, and a person reads it the same day
NONE = "none"
_RANK = {NONE: 0, REVIEW: 1, POSSIBLE: 2, CLEAR: 3}
# A clause this short next to a match's clause lends it its time ("years ago", "when I was little").
SHORT_CLAUSE = 5

PATTERNS_FILE = Path(__file__).with_name("patterns") / "danger.yml"

# The model's `danger` intent alone (the rules found nothing) asks the gentle check from here.
DANGER_INTENT = "danger"
MODEL_UNSURE = 0.5
# The model sure that a message is not present danger: a clear reading of the rules becomes the
# gentle check (the two disagree). Set before measuring on the newest held-out set, not tuned on it.
NOT_DANGER_INTENTS = frozenset({"harm_not_now", "out_of_scope"})
MODEL_SURE_NOT_DANGER = 0.9


@dataclass(frozen=True)
class _Group:
    name: str
    kind: str
    tier: str
    patterns: Tuple[str, ...]
    now_makes_clear: bool = False
    negation_inside: bool = False
    visit_cancels: bool = False
    story_cancels: bool = False
    not_before: FrozenSet[str] = frozenset()
    big_number: bool = False
    needs: FrozenSet[str] = frozenset()
    fear: bool = False
    firm: bool = False
    not_after: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class _Rules:
    groups: Tuple[_Group, ...]
    # Per matcher key "group:pattern": True when the pattern spells out its own negation.
    negating: Dict[str, bool]
    matcher: Matcher
    past_long: Matcher
    past_recent: Matcher
    idioms: Matcher
    safe_now: Matcher
    cry_words: FrozenSet[str]
    cry_core: FrozenSet[str]
    cues: Dict[str, FrozenSet[str]]
    hope_reach: int


# Cue lists matched by lemma ("told" and "tell"); the others match the words as written,
# so that "helping" in the visit list does not also make "help" an ordinary word.
_LEMMA_CUES = frozenset({"negation", "opinion", "hope", "hope_clause", "stop", "fear_words", "reported", "justice", "short_times",
                         "hypothetical", "conditional", "thought"})
# Cue lists that are patterns (matched as spans), not word lists.
_PATTERN_CUES = ("past_long_ago", "past_recent", "idiom", "safe_now")


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
    """Read, check and compile the pattern file once per process."""
    spec = load_rules(PATTERNS_FILE, DangerFile)
    macros = spec.words
    groups = tuple(
        _Group(
            name=g.name,
            kind=g.kind,
            tier=g.tier,
            patterns=tuple(g.patterns),
            now_makes_clear=g.now_makes_clear,
            negation_inside=g.negation_inside,
            visit_cancels=g.visit_cancels,
            story_cancels=g.story_cancels,
            not_before=cue_words(g.not_before),
            big_number=g.big_number,
            needs=cue_words(g.needs),
            fear=g.fear,
            firm=g.firm,
            not_after=cue_words(g.not_after, lemmas=False),
        )
        for g in spec.groups
    )
    cues: Dict[str, Any] = spec.cues.dict()
    negations = {str(w) for w in cues["negation"]} | {"n't", "cannot", "can't", "won't", "don't", "nobody"}
    keyed = {f"{gi}:{pi}": [pattern] for gi, g in enumerate(groups) for pi, pattern in enumerate(g.patterns)}
    negating = {
        key: any(piece in negations for raw in texts[0].split() for word in raw.rstrip("?").split("|")
                 for piece in word.lstrip("~").split("_"))
        for key, texts in keyed.items()
    }
    return _Rules(
        groups=groups,
        negating=negating,
        matcher=build_matcher(keyed, macros),
        past_long=build_matcher({"PAST": cues["past_long_ago"]}, macros),
        past_recent=build_matcher({"RECENT": cues["past_recent"]}, macros),
        idioms=build_matcher({"IDIOM": cues["idiom"]}, macros),
        safe_now=build_matcher({"SAFE": cues["safe_now"]}, macros),
        cry_words=cue_words(spec.cries.words),
        cry_core=cue_words(spec.cries.core),
        cues={
            name: cue_words(values, lemmas=name in _LEMMA_CUES)
            for name, values in cues.items()
            if isinstance(values, list) and name not in _PATTERN_CUES
        },
        hope_reach=int(cues.get("hope_reach", 4)),
    )


def _cue(token: Any, name: str) -> bool:
    words = _rules().cues[name]
    return token.lower_ in words or (name in _LEMMA_CUES and token.lemma_ in words)


def _two_word_cue(doc: Doc, i: int, name: str) -> bool:
    """Cues written with "_" ("right_now", "no_one") are two tokens in the text."""
    if i + 1 >= len(doc):
        return False
    return f"{doc[i].lower_}_{doc[i + 1].lower_}" in _rules().cues[name]


# --- clauses ---------------------------------------------------------------------------------

_SOFT_STOPS = frozenset({",", ":", "-", "--", "/", "(", ")", "&", "+"})
_JOINERS = frozenset({"and", "but", "because", "so", "though", "although", "whereas", "while", "cos", "then",
                      "plus", "or", "also", "however"})
_SUBJECTS = frozenset({"i", "he", "she", "they", "we"})
# A subject after one of these belongs to the clause that this word opens ("if he comes").
# No new clause after an auxiliary: "should I", "is he", "did she" ask a question.
_AUXILIARIES = frozenset({"should", "would", "could", "can", "will", "do", "did", "does", "am", "is", "are", "was",
                          "were", "have", "has", "had", "may", "might", "must", "shall", "ca", "wo"})
_OPENERS = frozenset({"if", "when", "that", "what", "as", "unless", "whether", "where", "how", "why", "before",
                      "after", "since", "till", "until", "once", "than", "who", "in_case", "cause", "coz"})


@dataclass(frozen=True)
class _Clause:
    start: int
    end: int
    sentence: int


def _ends_sentence(text: str) -> bool:
    bare = text.strip()
    return "\n" in text or (bool(bare) and all(ch in ".!?;" for ch in bare))


def clauses(doc: Doc) -> List[_Clause]:
    """Token ranges of the clauses, each tagged with its sentence number."""
    out: List[_Clause] = []
    start, sentence = 0, 0
    for i, token in enumerate(doc):
        hard = _ends_sentence(token.text)
        soft = not token.text.strip() or token.text.strip() in _SOFT_STOPS or token.lower_ in _JOINERS
        if hard or soft:
            if i > start:
                out.append(_Clause(start, i, sentence))
            start = i + 1
            if hard:
                sentence += 1
            continue
        if token.lower_ in _SUBJECTS and i > start and doc[i - 1].lower_ not in _AUXILIARIES:
            before = doc[i - 1].lower_
            opener = before in _OPENERS or (i > 1 and f"{doc[i - 2].lower_}_{before}" in _OPENERS)
            cut = i - 1 if opener else i
            if cut > start:
                out.append(_Clause(start, cut, sentence))
                start = cut
    if start < len(doc):
        out.append(_Clause(start, len(doc), sentence))
    return out
