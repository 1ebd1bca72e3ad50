"""Shared matching helpers: lemma-fixed docs, a tiny pattern language for spaCy's Matcher, clauses.

Why a pattern language: the recognisers need hundreds of token patterns
("want|need|like @PERSON? to stop *2 @HARM"). Writing them as spaCy dicts by
hand is unreadable and easy to get wrong; writing them as short strings that
compile to `Matcher` patterns over LEMMA keeps them reviewable by people who
know safeguarding rather than spaCy.

Pattern syntax (tokens separated by spaces):
    word|other     token whose lemma is one of these (words are lemmatised, so
                   "prosecuted" and "prosecute" are the same)
    a_b|c          an alternative with "_" is several tokens ("care_package|respite");
                   so is a word the tokenizer splits ("can't" is "ca" + "n't")
    ~word|other    token whose lower-case text is one of these (no lemmatising)
    @NAME          one of the words in MACROS[NAME]
    !word|other    any one token whose lemma is NOT one of these
    #NUM           a number-like token
    #YEAR          a year such as 2015
    *N             up to N arbitrary tokens (not crossing . ! ? ;)
    X?             the token X is optional (works for words, ~, @ and !)
"""

import functools
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.language.nlp import get_nlp
from bot.language.normalise import normalise

TokenPattern = List[Dict[str, object]]

# Word lists shared by outcomes and danger patterns.
MACROS: Dict[str, Tuple[str, ...]] = {
    "PRON3": ("he", "she", "they", "him", "her", "them", "his", "their"),
    "SUBJ3": ("he", "she", "they"),
    "OBJ3": ("him", "her", "them"),
    "PERSON": (
        "he", "she", "they", "him", "her", "them", "husband", "wife", "partner", "boyfriend", "girlfriend",
        "son", "daughter", "brother", "sister", "mum", "mom", "mother", "dad", "father", "stepdad",
        "stepmum", "grandson", "granddaughter", "nephew", "niece", "uncle", "aunt", "cousin", "carer",
        "neighbour", "lodger", "man", "woman", "person", "ex", "friend", "guy", "lad", "bloke", "family",
        "grandchild", "stepson", "stepdaughter", "fella", "worker", "staff", "resident", "relative",
        "landlord", "flatmate", "housemate", "client", "people", "someone", "somebody", "abuser",
    ),
    "FAMILY": (
        "husband", "wife", "partner", "boyfriend", "girlfriend", "son", "daughter", "brother", "sister",
        "mum", "mom", "mother", "dad", "father", "stepdad", "stepmum", "grandson", "granddaughter",
        "nephew", "niece", "uncle", "aunt", "cousin", "family", "grandchild", "stepson", "stepdaughter",
        "relative", "ex",
    ),
    "ME": ("me", "us", "mum", "dad", "nan", "gran", "grandma", "grandad", "her", "him", "them"),
    "WISH": ("want", "wish", "need", "hope", "prefer", "rather", "like", "love"),
    "NEG": ("not", "never", "no"),
    "HARM": (
        "hit", "hurt", "abuse", "bully", "beat", "punch", "kick", "slap", "push", "shove", "shout",
        "scream", "yell", "threaten", "harass", "attack", "assault", "strangle", "choke", "grab",
        "pinch", "bite", "spit", "scratch", "rob", "steal", "frighten", "scare", "intimidate", "threat",
        "threats", "harassment", "cruelty", "nastiness", "aggression", "intimidation", "exploitation",
        "stealing", "theft", "name_calling", "taking",
        "swear", "insult", "belittle", "control", "violence", "abusing", "bullying", "harassment",
        "neglect", "exploit", "batter", "torment", "rape", "stalk", "follow", "manipulate", "pressure",
        "drag", "throw", "shake", "smack", "thump", "whack", "lock", "starve", "mistreat", "torture",
        "hassle", "pester", "nag", "beating", "hitting", "violent", "nasty",
    ),
    # Past participles for "being hit", "got beaten" (danger.py).
    "HITPP": (
        "hit", "hurt", "beaten", "punched", "kicked", "slapped", "pushed", "attacked", "stabbed", "raped",
        "assaulted", "strangled", "choked", "threatened", "abused", "battered", "locked", "grabbed", "bitten",
        "burnt", "burned",
    ),
}

_BOUNDARY = [".", "!", "?", ";"]


class _PatternLoader(yaml.SafeLoader):
    """YAML where only true/false are booleans: in a word list, no, on and off are words."""


_PatternLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PatternLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def load_patterns(path: Path) -> Dict[str, Any]:
    """Read a pattern file (bot/language/patterns/*.yml)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_PatternLoader)  # noqa: S506 (a SafeLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a pattern file")
    return data


@functools.lru_cache(maxsize=None)
def _lemma_of(word: str) -> str:
    """Lemma of one pattern word, via the same lookup table the texts go through."""
    doc = get_nlp()(word)
    fix_lemmas(doc)
    return "".join(t.lemma_ for t in doc) if len(doc) > 1 else doc[0].lemma_


Macros = Mapping[str, Sequence[str]]


def _expand(body: str, exact: bool, macros: Optional[Macros]) -> List[Tuple[bool, str]]:
    """Alternatives of "a|~b|@NAME" as (exact text?, word), macros expanded."""
    out: List[Tuple[bool, str]] = []
    for alt in body.split("|"):
        if alt.startswith("@"):
            name = alt[1:]
            out.extend(_expand("|".join((macros or {}).get(name) or MACROS[name]), exact, macros))
        elif alt.startswith("~"):
            out.append((True, alt[1:]))
        elif alt:
            out.append((exact, alt))
    return out


def _single(words: Sequence[str], exact: bool, optional: bool) -> Dict[str, object]:
    """One Matcher token: any of these words, by lower-case text or by lemma."""
    token: Dict[str, object]
    if exact:
        token = {"LOWER": {"IN": sorted(set(words))}}
    else:
        token = {"LEMMA": {"IN": sorted({_lemma_of(w) for w in words} | set(words))}}
    if optional:
        token["OP"] = "?"
    return token


def _variants(raw: str, macros: Optional[Macros] = None) -> List[List[Dict[str, object]]]:
    """All token sequences one spec can stand for ("a|b_c" -> [[a]], [[b], [c]])."""
    if raw.startswith("*") and raw[1:].isdigit():
        return [[{"LOWER": {"NOT_IN": _BOUNDARY}, "OP": "?"} for _ in range(int(raw[1:]))]]
    optional = raw.endswith("?") and len(raw) > 1
    spec = raw[:-1] if optional else raw
    if spec in ("#NUM", "#YEAR"):
        token: Dict[str, object] = {"LIKE_NUM": True} if spec == "#NUM" else {
            "TEXT": {"REGEX": r"^(19|20)\d\d$"}}
        if optional:
            token["OP"] = "?"
        return [[token]]
    if spec.startswith("!"):
        words = [w for _, w in _expand(spec[1:], False, macros)]
        token = {"LEMMA": {"NOT_IN": sorted({_lemma_of(w) for w in words} | set(_BOUNDARY))}}
        if optional:
            token["OP"] = "?"
        return [[token]]
    exact_all = spec.startswith("~")
    alternatives = _expand(spec[1:] if exact_all else spec, exact_all, macros)
    out: List[List[Dict[str, object]]] = []
    for exact in (True, False):
        singles = [w for e, w in alternatives if e == exact and len(_pieces(w)) == 1]
        if singles:
            out.append([_single(singles, exact, optional)])
    for exact, multi in alternatives:
        pieces = _pieces(multi)
        if len(pieces) > 1:
            out.append([_single([word], exact, optional) for word in pieces])
    return out


@functools.lru_cache(maxsize=None)
def _pieces(word: str) -> Tuple[str, ...]:
    """The tokens one pattern word stands for: "a_b" is two, and so is "can't" ("ca" + "n't"), split
    as the text is, so that "can't|cannot leave" matches "can't leave"."""
    if word.startswith("'") or word in _BOUNDARY:
        return (word,)  # "'s", "'ll": already one token
    return tuple(t.text for part in word.split("_") if part for t in get_nlp().tokenizer(part))


def compile_pattern(text: str, macros: Optional[Macros] = None) -> List[TokenPattern]:
    """Compile one pattern string (see module docstring) to one or more Matcher patterns."""
    patterns: List[TokenPattern] = [[]]
    for raw in text.split():
        patterns = [done + variant for done in patterns for variant in _variants(raw, macros)]
    return patterns


def build_matcher(patterns: Mapping[str, Sequence[str]], macros: Optional[Macros] = None) -> Matcher:
    """A Matcher with one rule per key; each key may have many pattern strings.

    `macros`: extra @NAME word lists (a pattern file's own `words:`), beside MACROS.
    """
    matcher = Matcher(get_nlp().vocab)
    for key, texts in patterns.items():
        matcher.add(key, [p for t in texts for p in compile_pattern(t, macros)])
    return matcher


# Lemmas the lookup table gets wrong for our purposes ("'s" -> "have", "ca" of "can't").
_LEMMA_FIXES: Dict[str, str] = {
    "'re": "be", "ca": "can", "wo": "will", "ai": "be", "does": "do", "doe": "do", "sha": "shall",
    "'m": "be", "'ll": "will", "'d": "would", "'ve": "have", "n't": "not", "nt": "not",
}
_HAVE_AFTER_S = frozenset({"got", "been", "gotten", "had", "taken", "done", "left", "gone"})


def fix_lemmas(doc: Doc) -> Doc:
    """Patch contraction lemmas in place: "he's at the door" -> be, "he's got a knife" -> have."""
    for i, token in enumerate(doc):
        low = token.lower_
        if low in _LEMMA_FIXES:
            token.lemma_ = _LEMMA_FIXES[low]
        elif low == "'s":
            nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
            token.lemma_ = "have" if nxt in _HAVE_AFTER_S else "be"
        elif token.lemma_ != token.lemma_.lower():
            token.lemma_ = token.lemma_.lower()
    return doc


def make_doc(text: str, already_normal: bool = False) -> Doc:
    """Normalise (unless done already), tokenise and lemmatise with fixed contraction lemmas."""
    return fix_lemmas(get_nlp()(text if already_normal else normalise(text)))


# Clause splitting on the ORIGINAL text, so each clause keeps the person's own words.
_CLAUSE_SPLIT = re.compile(
    r"(?:[.!?;\n\r]+(?=\s|$)|[;\n\r]+|,|&|\+|\s-\s|"
    r"\b(?:and|but|plus|as well as)\b|"
    # "also" starts a clause, except after a subject or helper ("she also wants", "i'd also like").
    r"(?<!\bi )(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\bwe )(?<!\bmum )(?<!\bdad )(?<!'d )(?<!\bd )"
    r"(?<!\bwould )(?<!\bcould )(?<!\bshould )(?<!\bwill )(?<!'ll )(?<!\bdo )(?<!\bdoes )(?<!\bim )(?<!'m )"
    r"\balso\b)",
    re.IGNORECASE,
)


def split_clauses(text: str) -> List[str]:
    """Split a message into clauses at sentence ends, commas, 'and', 'also', 'but', 'plus', '&'."""
    parts = [p.strip(" \t\"'()-") for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if re.search(r"[A-Za-z0-9]", p)]


def spans_overlap(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    """True when two [start, end) token ranges share a token."""
    return a[0] < b[1] and b[0] < a[1]


def match_spans(matcher: Matcher, doc: Doc) -> List[Tuple[str, int, int]]:
    """All matches as (rule name, start, end), sorted by start then longest first."""
    strings = doc.vocab.strings
    found = [(strings[mid], s, e) for mid, s, e in matcher(doc)]
    found.sort(key=lambda m: (m[1], -(m[2] - m[1])))
    return found


def lemmas(doc_or_span: Iterable) -> List[str]:  # type: ignore[type-arg]
    """Lemmas of a Doc or Span as a list (handy for cue checks)."""
    return [t.lemma_ for t in doc_or_span]


@functools.lru_cache(maxsize=None)
def lemma_set(words: Tuple[str, ...]) -> frozenset:  # type: ignore[type-arg]
    """Lemmas of a word tuple, cached (for cue sets written as plain words)."""
    return frozenset(_lemma_of(w) for w in words) | frozenset(words)


def cue_words(values: Iterable[Any], lemmas: bool = True) -> FrozenSet[str]:
    """A cue list from a pattern file as lower-case words and, when `lemmas`, their lemmas too."""
    plain = tuple(str(v).lower() for v in values)
    return lemma_set(plain) if lemmas else frozenset(plain)
