"""Recognise desired outcomes (Making Safeguarding Personal) in what a person types.

Why rules and not only a classifier: one message often holds several wishes
("I want him to stay away and to be kept informed"), the record must keep each
wish next to the person's own words, and a negated wish ("I don't want him
prosecuted") must not be counted as the wish itself. Token patterns over
lemmas (see matching.py) handle all three and are easy for practitioners to
review.

The patterns, their word lists and the cues that shape a reading are data, in
patterns/outcomes.yml, whose header explains how a message is read and what
each group option means. This module is the small engine that applies them.
Codes and their plain words come from msp-reference.md.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

from bot.constants import OUTCOME_CODES, SOMETHING_ELSE
from bot.language.matching import (
    build_matcher,
    lemma_set,
    load_patterns,
    make_doc,
    match_spans,
    spans_overlap,
    split_clauses,
)
from bot.language.normalise import normalise

PATTERNS_FILE = Path(__file__).parent / "patterns" / "outcomes.yml"


@dataclass(frozen=True)
class OutcomeMention:
    """One wish found in a message: the code for counting, the words for the record."""

    code: str  # one of constants.OUTCOME_CODES
    own_words: str  # the person's own words for this wish, from the ORIGINAL text, trimmed
    negated: bool  # "I don't want him prosecuted" -> police_prosecute, negated=True


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


# --- wish words and negation ------------------------------------------------------------------

def _wish_positions(doc: Doc) -> List[Tuple[int, int]]:
    """Token ranges of wish words ("want", "would like", "should") in a clause."""
    out: List[Tuple[int, int]] = []
    for _, s, e in match_spans(_rules().wish_matcher, doc):
        before = [t.lower_ for t in doc[max(0, s - 2):s]]
        if "you" in before and not any(t.lower_ == "i" for t in doc[:s]):
            continue  # "do you want", "what would you like": a question, not a wish
        if doc[s].lower_ == "please" and s > 0:
            continue
        if s > 0 and doc[s - 1].lower_ in {"i", "we"} and _cue(doc[s], "own_duty"):
            continue  # "the kids say I should put him in a home": advice, not a wish
        if _in_relative_clause(doc, s):
            continue  # "not ones who just want my money": someone else's wish
        out.append((s, e))
    return out


_ADVERBS = frozenset({"just", "really", "only", "also", "still", "actually", "always", "all", "do", "does", "did"})


def _in_relative_clause(doc: Doc, start: int) -> bool:
    """Does the wish word at `start` follow "who", "that", "which" (adverbs between)? ("people who want...")"""
    i = start - 1
    while i >= 0 and doc[i].lower_ in _ADVERBS:
        i -= 1
    return i >= 0 and i >= start - 3 and _cue(doc[i], "relative")


def _has_uncertainty(doc: Doc, index: int) -> bool:
    """Is the negation at `index` part of "not sure" / "don't know" / "no idea"?"""
    return _in_phrase(doc, index, _rules().uncertain)


def _in_phrase(doc: Doc, index: int, phrases: Sequence[Tuple[str, ...]]) -> bool:
    """Is the token at `index` part of one of these phrases (lemma sequences)?"""
    words = [t.lemma_ for t in doc]
    for phrase in phrases:
        for offset in range(len(phrase)):
            start = index - offset
            if start >= 0 and tuple(words[start:start + len(phrase)]) == phrase:
                return True
    return False


def _is_negation(doc: Doc, i: int) -> bool:
    """A negation word that really negates (not "no, I want...", not "not sure")."""
    token = doc[i]
    if not _cue(token, "negation") or _has_uncertainty(doc, i) or _in_phrase(doc, i, _rules().not_negating):
        return False  # "not sure"; "I wouldn't say no to some company" says yes
    if token.lower_ == "no":
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is None or nxt.is_punct or _cue(nxt, "no_before_not_negation"):
            return False
    if token.lower_ == "not" and i + 1 < len(doc) and doc[i + 1].lower_ in {"just", "only"}:
        return False
    return True


def _negated(doc: Doc, start: int, end: int, wishes: List[Tuple[int, int]]) -> bool:
    """Does a negation govern the wish that this match belongs to?

    With a wish word before the match: a negation just before the wish word
    ("I don't want him charged") or between it and the end of the match ("I'd
    rather the police weren't involved"); after "just", "only" or "but" only a
    negation that comes later counts ("I don't want the police, just him gone").
    Without one, only an imperative or a bare "no X" at the start counts ("no
    police", "don't involve them"), so complaints ("nobody tells me anything")
    stay wishes.
    """
    before = [w for w in wishes if w[0] < start]
    if before:
        cue_start, cue_end = before[-1]
        scope_ends = [i for i in range(cue_end, start) if _cue(doc[i], "negation_scope_ends")]
        first = scope_ends[-1] if scope_ends else max(0, cue_start - 2)
        return any(_is_negation(doc, i) for i in range(first, end))
    lem = [t.lemma_ for t in doc[:3]] + ["", "", ""]
    if lem[0] == "please":
        lem = lem[1:]
    if lem[0] == "no":
        return _is_negation(doc, 0 if doc[0].lemma_ == "no" else 1)
    return lem[0] in {"never", "without"} or (lem[0] == "do" and lem[1] == "not") or (
        lem[0] == "not" and lem[1] in {"the", "any", "a", "him", "her", "them", "police", "one", "those"}
    )


def _is_non_answer(doc: Doc) -> bool:
    """ "I don't know what I want", "not sure": no wish, even though "want" appears."""
    return any(_has_uncertainty(doc, i) for i in range(len(doc))) and not any(
        t.lemma_ in {"but", "though"} for t in doc
    )


# --- clauses: wishes, statements, fragments ---------------------------------------------------

def _first_content(doc: Doc) -> int:
    """Index of the first token after discourse words ("and", "so", "honestly"), hedges and punctuation."""
    i = 0
    while i < len(doc):
        if doc[i].lower_ == "i" and i + 1 < len(doc) and _cue(doc[i + 1], "hedges"):
            i += 2  # "I guess feel safe"
        elif doc[i].is_punct or _cue(doc[i], "discourse"):
            i += 1
        else:
            break
    return i


def _is_statement(doc: Doc) -> bool:
    """ "he took my purse", "my son lives with me": a clause with its own subject, not a wish fragment.

    "my money back", "the police to charge him" and "it all to stop" are fragments.
    """
    i = _first_content(doc)
    if i >= len(doc):
        return False
    if _cue(doc[i], "verb_starts") or _cue(doc[i], "context_starts"):
        return True
    after = doc[i + 1:i + 5]
    to_at = next((k for k, t in enumerate(after) if t.lower_ == "to"), None)
    if _cue(doc[i], "subjects"):
        return not (_cue(doc[i], "subjects_before_to") and to_at is not None and to_at <= 2)
    if _cue(doc[i], "noun_starts"):
        for k, token in enumerate(after):
            if to_at is not None and k >= to_at or _cue(token, "embedded"):
                return False  # "a say in what happens": the verb belongs to the embedded question
            if _cue(token, "finite") and not (k == 0 and _cue(doc[i], "determiners")):
                return True
    return False


@dataclass
class _Clause:
    words: str  # the person's own words
    doc: Doc  # the clause as matched (with borrowed wish words, if any)
    prefix_len: int  # how many tokens of `doc` are borrowed
    own_doc: Doc  # the clause alone
    wish: bool  # has a wish word of its own (and is not "I don't know what I want")
    statement: bool  # "he took my purse": a statement, not a wish fragment
    talk: bool  # about this conversation ("I'd rather not say"): no code
    non_answer: bool = False  # says there is no answer yet ("no idea", "she couldn't say"): no last-resort code
    contrast: bool = False  # opens with "just", "only", "instead" or follows "but" ("..., I just want him gone")
    preamble: int = 0  # tokens of `own_doc` that say who is speaking ("As his advocate:"): no code from them
    start: int = -1  # where `words` starts in the message (-1: not found)
    end: int = -1  # and where it ends

    @property
    def short(self) -> bool:
        """At most 4 words: "police", "more friends please"."""
        return len([t for t in self.own_doc if not t.is_punct]) <= 4


_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+")


def _wish_frame(doc: Doc) -> str:
    """The words that open a wish ("i don't want him"), to lend to a following fragment."""
    wishes = _wish_positions(doc)
    if not wishes:
        return ""
    end = wishes[0][1]
    if end < len(doc) and doc[end].lower_ in {"him", "her", "them", "it"}:
        end += 1
    return doc[:end].text


_BUT = re.compile(r"\bbut\b", re.IGNORECASE)


def _opens_contrast(doc: Doc, after_but: bool) -> bool:
    """ "I just want him gone", "only help with my money", "but I do want...": the wish that is meant."""
    return after_but or any(_cue(t, "contrast") for t in doc[:4])


def _about_the_conversation(doc: Doc) -> bool:
    """ "I'd rather not say", "stop asking me": the clause is about this conversation, not a wish."""
    rules = _rules()
    if match_spans(rules.talk_matcher, doc):
        return True
    return any(_only_fillers(doc, 0, s, 0) and _only_fillers(doc, e, len(doc), 0)
               for _, s, e in match_spans(rules.talk_whole_matcher, doc))


def _negates(frame: str) -> bool:
    """Do these wish words carry a negation ("I don't want")?"""
    doc = make_doc(frame, already_normal=True)
    return any(_is_negation(doc, i) for i in range(len(doc)))


def _preamble_end(doc: Doc) -> int:
    """End of the words at the start of a clause that say who is speaking ("As his advocate:"), else 0."""
    start = _first_content(doc)
    ends = [e for _, s, e in match_spans(_rules().preamble_matcher, doc) if s <= start + 1]
    return max(ends, default=0)


def _clauses(text: str) -> List[_Clause]:
    """Split a message into clauses; a fragment borrows the wish words of an earlier clause of its sentence."""
    out: List[_Clause] = []
    text_cursor = 0
    for sentence in _SENTENCE_END.split(text):
        frame = ""  # wish words are lent within a sentence only
        cursor = 0
        sentence_at = text.find(sentence, text_cursor)
        text_cursor = sentence_at + len(sentence) if sentence_at >= 0 else text_cursor
        for words in split_clauses(sentence):
            at = sentence.find(words, cursor)
            after_but = at >= 0 and bool(_BUT.search(sentence[cursor:at]))
            cursor = at + len(words) if at >= 0 else cursor
            start = sentence_at + at if at >= 0 and sentence_at >= 0 else -1
            end = start + len(words) if start >= 0 else -1
            own_doc = make_doc(normalise(words), already_normal=True)
            if _about_the_conversation(own_doc):
                out.append(_Clause(words.strip(), own_doc, 0, own_doc, False, False, True, start=start, end=end))
                continue
            has_wish = bool(_wish_positions(own_doc))
            statement = not has_wish and _is_statement(own_doc)
            doc, prefix_len = own_doc, 0
            # After "but", a fragment does not borrow a negated wish ("no charges, I don't want that,
            # but help me feel stronger").
            if frame and not has_wish and not statement and not (after_but and _negates(frame)):
                doc = make_doc(frame + " " + own_doc.text, already_normal=True)
                prefix_len = len(make_doc(frame, already_normal=True))
            wish = has_wish and not _is_non_answer(own_doc)
            non_answer = bool(match_spans(_rules().no_wish_matcher, own_doc))
            out.append(_Clause(words.strip(), doc, prefix_len, own_doc, wish, statement, False, non_answer,
                               _opens_contrast(own_doc, after_but), _preamble_end(own_doc), start, end))
            if has_wish:
                frame = _wish_frame(own_doc)
            elif statement:
                frame = ""  # "I want X, he keeps threatening me and my dog": the dog is not wished for
    return out


# --- matching one clause ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Place:
    """Where a clause sits in its message: what the context-dependent group options look at."""

    story: bool  # a statement in a message that says what is wanted: only `in_statements` groups count
    first: bool  # the first clause of the message (`opens_message`)
    no_story: bool  # the message has no statements (`last_resort` may read its fragments)


@dataclass(frozen=True)
class _Hit:
    """One pattern match inside one clause doc."""

    group: _Group
    start: int
    end: int
    negated: bool


def _only_fillers(doc: Doc, start: int, end: int, prefix_len: int) -> bool:
    """Is everything in doc[start:end] punctuation, borrowed wish words or fillers?"""
    return all(t.is_punct or t.i < prefix_len or _cue(t, "fillers") for t in doc[start:end])


def _applies(group: _Group, clause: _Clause, place: _Place, start: int, end: int, wishes: bool) -> bool:
    """Do the group's options allow this match in this clause?"""
    doc, prefix = clause.doc, clause.prefix_len
    if end <= prefix:
        return False  # the match lies inside the borrowed wish words
    if start < prefix + clause.preamble:
        return False  # "As his advocate:" says who is speaking
    if group.has("needs_wish") and not (wishes or clause.short or not clause.statement):
        return False
    if group.has("last_resort") and (prefix or clause.non_answer or _first_content(clause.own_doc) >= len(doc)
                                     or (not wishes and (clause.statement or not place.no_story))):
        return False  # not where the wish words are borrowed, nor in "no idea" or "sorry", nor in a story
    if group.has("last_resort") and not place.first and _adjunct(clause):
        return False  # "keep me updated, by letter not phone": how, not a wish of its own
    if group.has("opens_message") and not place.first:
        return False
    if place.story and clause.statement and not group.has("in_statements"):
        return False
    if group.not_before and end < len(doc) and doc[end].lemma_ in group.not_before:
        return False
    if group.unless and group.unless & ({t.lemma_ for t in doc} | {t.lower_ for t in doc}):
        return False
    if group.has("whole_clause") and not _only_fillers(doc, 0, start, prefix):
        return False
    if (group.has("whole_clause") or group.has("ends_clause")) and not _only_fillers(doc, end, len(doc), prefix):
        return False
    return True


def _adjunct(clause: _Clause) -> bool:
    """A fragment that opens with "by", "in", "every"...: it says how or when about the wish before it."""
    i = _first_content(clause.own_doc)
    return (not clause.wish and not clause.statement and i < len(clause.own_doc)
            and _cue(clause.own_doc[i], "adjunct_starts"))


def _clause_hits(clause: _Clause, place: _Place) -> Tuple[List[_Hit], bool]:
    """The matches that survive in one clause: options, negation, reasons, suppression, weak, last resort.

    Also says whether any pattern applied at all (a negated "punished" applies and gives no hit).
    """
    rules = _rules()
    doc = clause.doc
    wishes = _wish_positions(doc)
    hits: List[_Hit] = []
    matched = False
    for key, start, end in match_spans(rules.matcher, doc):
        group = rules.groups[int(key[1:])]
        if not _applies(group, clause, place, start, end, bool(wishes)):
            continue
        matched = True
        negated = group.polarity == NEG or (
            group.polarity in (NORMAL, POS_ONLY) and _negated(doc, start, end, wishes)
        )
        if group.polarity == POS_ONLY and negated:
            continue  # "I don't want him punished" is no_further_action, not police_prosecute
        hits.append(_Hit(group, start, end, negated))
    # A reason or condition after the wish ("... so I'm not on my own with him", "to be told if he
    # gets out of prison") gives no code of its own; a match that opens with it is the wish itself
    # ("to know what to do if it happens again"), and inside a match it is no reason ("not so scared").
    # Only a bare word before it ("help so I know what to do": a `weak` group, nothing stronger) leaves
    # what follows as the wish.
    reason = next((t.i for t in doc if t.i > clause.prefix_len and _cue(t, "reason_words")), None)
    before = [h for h in hits if reason is not None and h.start < reason]
    bare = any(h.group.has("weak") for h in before) and all(
        h.group.has("weak") or h.group.has("last_resort") for h in before)
    if (reason is not None and before and not bare
            and not any(h.start < reason < h.end - 1 for h in hits)):
        hits = [h for h in hits if h.start <= reason]
    # Where two codes match overlapping words, the first of a `suppresses` pair wins. A weak or
    # last-resort match suppresses nothing stronger than itself.
    survivors = [
        h for h in hits
        if not any(
            (o.group.code, h.group.code) in rules.suppresses
            and not o.group.has("last_resort")
            and (not o.group.has("weak") or h.group.has("weak"))
            and spans_overlap((o.start, o.end), (h.start, h.end))
            and not (h.negated and (o.group.code, h.group.code) in rules.still_dropped)
            for o in hits
        )
    ]
    strong = {h.group.code for h in survivors if not h.group.has("weak") and not h.group.has("last_resort")}
    kept = [
        h for h in survivors
        if not h.group.has("last_resort") and (not h.group.has("weak") or not strong - {h.group.code})
    ]
    if kept:
        return kept, matched
    # Nothing more specific: the code whose words the clause uses most; a tie goes to the one named first.
    votes: Dict[str, int] = {}
    for h in survivors:
        votes[h.group.code] = votes.get(h.group.code, 0) + 1
    leaders = [h for h in survivors if votes[h.group.code] == max(votes.values())]
    if not leaders:
        return [], matched
    winner = min(leaders, key=lambda h: h.start).group.code
    return [h for h in survivors if h.group.code == winner], matched


def _content_after(doc: Doc, start: int) -> bool:
    """Is there a content word after a wish word? ("I want my money back" yes, "I want to" no)."""
    return any(t.is_alpha and not _cue(t, "empty_after_wish") for t in doc[start:])


@dataclass(frozen=True)
class _Found:
    """One code found in one clause."""

    code: str
    negated: bool
    position: int
    gives_way_to: FrozenSet[str]
    named: bool = True  # False: a something_else for a wish that no pattern named
    negation_of: Optional[str] = None  # a wish read from a negated code (`negated_means`): that code


def _clause_findings(clause: _Clause, place: _Place) -> List[_Found]:
    """The codes found in one clause, in order."""
    rules = _rules()
    doc = clause.doc
    hits, matched = _clause_hits(clause, place)
    by_code: Dict[str, List[_Hit]] = {}
    for hit in hits:
        by_code.setdefault(hit.group.code, []).append(hit)
    found: List[_Found] = []
    for code, code_hits in by_code.items():
        polarities = {h.group.polarity for h in code_hits}
        if code in rules.never_negated or ABSORB in polarities:
            negated = False
        elif NEG in polarities:
            negated = True
        else:  # negated, unless a match that no negated match overlaps says it plainly
            negated = any(h.negated for h in code_hits) and not any(
                not h.negated and not any(
                    n.negated and spans_overlap((n.start, n.end), (h.start, h.end)) for n in code_hits
                )
                for h in code_hits
            )
        yielding = [h.group.gives_way_to for h in code_hits]  # all of its groups must give way
        gives_way = frozenset.intersection(*yielding) if all(yielding) else frozenset()
        found.append(_Found(code, negated, min(h.start for h in code_hits), gives_way))
    # "I don't want the police involved": the negated code is dropped, and it is a wish of its own,
    # unless the clause goes on to the wish it means ("no police or nothing like that i just want...").
    for f in list(found):
        contrast = next((t.i for t in doc[f.position:] if _cue(t, "contrast")), None)
        if contrast is not None and any(g.position > contrast and not g.negated for g in found):
            continue
        for code in sorted(b for a, b in rules.negated_means if a == f.code and f.negated):
            if code not in by_code:
                found.append(_Found(code, False, f.position, frozenset(), negation_of=f.code))
    # something_else: a clear wish of this clause's own ("I want an apology") where no pattern applied.
    wishes = _wish_positions(doc)
    if not matched and clause.wish and not (place.story and clause.statement):
        for s, e in wishes:
            if _content_after(doc, max(e, clause.prefix_len)):
                found.append(_Found(SOMETHING_ELSE, _negated(doc, e, e, wishes), s, frozenset(), named=False))
                break
    return sorted(found, key=lambda f: f.position)


# --- reading a message ------------------------------------------------------------------------

def _ends_dangling(doc: Doc) -> bool:
    """ "I want someone to come": the clause stops at an infinitive, so the wish goes on after "and"."""
    words = [t for t in doc if not t.is_punct]
    return len(words) >= 2 and words[-2].lower_ == "to" and words[-1].is_alpha


def _goes_on(wish_clause: Doc, fragment: Doc) -> bool:
    """Does the wish of `wish_clause` go on in `fragment`, the clause after it?

    "I want someone to come" + "check on me", "mum wants the shouting" + "the
    name calling to end", "I want the scammers found" + "charged". A new wish is
    not: "to feel safe", "for him to leave", "him gone".
    """
    if _ends_dangling(wish_clause):
        return True
    wishes = _wish_positions(wish_clause)
    if not wishes or any(t.lower_ == "to" for t in wish_clause[wishes[0][1]:]):
        return False  # the wish has a verb of its own ("I want to see my grandchildren")
    i = _first_content(fragment)
    return i < len(fragment) and not (fragment[i].lower_ in {"to", "for"} or _cue(fragment[i], "own_object"))


@functools.lru_cache(maxsize=256)
def _read(text: str) -> Tuple[Tuple[_Clause, ...], Tuple[Tuple[_Found, int], ...]]:
    """The clauses of a message and what was found in each (clause index beside each finding)."""
    clauses = _clauses(text)
    no_story = not any(c.statement for c in clauses)
    fragments = {
        i: _clause_findings(c, _Place(story=False, first=i == 0, no_story=no_story))
        for i, c in enumerate(clauses) if not c.talk and not c.statement
    }
    # When the message says what the person wants (a wish word, or a fragment that names a wish:
    # "do what you say for once"), its statements are the story, not wishes.
    story = any(c.wish for c in clauses) or any(fragments.values())
    raw: List[Tuple[_Found, int]] = []
    for i, clause in enumerate(clauses):
        if clause.talk or (clause.statement and clause.non_answer):
            continue  # "I'd rather not say"; "I'll ask him when he's feeling better" says no answer yet
        found = fragments[i] if i in fragments else _clause_findings(
            clause, _Place(story=story, first=i == 0, no_story=no_story)
        )
        raw.extend((f, i) for f in found)
    # A something_else that no pattern named is dropped when its wish goes on in the next clause,
    # which found the code ("mum wants the shouting" + "and the name calling to end").
    with_codes = {i for _, i in raw}
    raw = [
        (f, i) for f, i in raw
        if f.named or not (
            i + 1 in with_codes and not clauses[i + 1].wish and not clauses[i + 1].statement
            and _goes_on(clauses[i].own_doc, clauses[i + 1].own_doc)
        )
    ]
    # A clause that asks for the same again ("..., and I'd like my daughter to have some too") names no
    # new wish: its something_else is dropped when an earlier clause found a code.
    raw = [
        (f, i) for f, i in raw
        if f.named or not (_echoes(clauses[i].own_doc) and any(j < i for _, j in raw))
    ]
    return tuple(clauses), tuple(raw)


def _echoes(doc: Doc) -> bool:
    """Does the clause end with "too", "also", "as well"?"""
    words = [t for t in doc if not t.is_punct]
    return bool(words) and (_cue(words[-1], "echo")
                            or " ".join(t.lower_ for t in words[-2:]) in _rules().cues["echo"])


def _set_aside(clauses: Sequence[_Clause], raw: Sequence[Tuple[_Found, int]], index: int) -> bool:
    """Is a later clause the wish that is meant ("..., I just want him to move out")?"""
    return any(
        i > index and clauses[i].contrast and not f.negated and not f.negation_of
        for f, i in raw
    )


@dataclass
class _Span:
    """A mention being built: its code and the clauses [first, last] whose words are its own."""

    code: str
    negated: bool
    first: int
    last: int


def _goes_on_from(clauses: Sequence[_Clause], index: int) -> bool:
    """Does clause `index`, which found nothing, carry on the wish of the clause before it?

    "i want him to stop coming round" + "take my money": the fragment has no
    subject and no wish word of its own, so its words belong to that wish and
    must not be lost. Background ("he's my son") and talk about the chat are
    not wishes and stay out.
    """
    clause = clauses[index]
    if clause.talk or clause.statement or clause.non_answer or clause.wish:
        return False
    return clause.prefix_len > 0 or _goes_on(clauses[index - 1].own_doc, clause.own_doc)


def _span_words(text: str, clauses: Sequence[_Clause], span: _Span) -> str:
    """The person's words from the first clause of a mention to its last, as they wrote them."""
    first, last = clauses[span.first], clauses[span.last]
    if span.first == span.last or first.start < 0 or last.end < 0:
        return first.words if span.first == span.last else " ".join(
            c.words for c in clauses[span.first:span.last + 1])
    return text[first.start:last.end].strip(" \t\"'()-,;")


def recognise_outcomes(text: str) -> List[OutcomeMention]:
    """Find every desired outcome in a message, in order, each with its own words.

    Nothing that carries a wish is lost on the way to the record: a wish said
    again in the next clause keeps one mention whose words cover both; the
    same code asked for again later, after another wish, is a wish of its own
    with its own words; and a fragment that carries on a wish ("..., and take
    my money") adds its words to that wish.
    """
    if not text or not text.strip():
        return []
    clauses, raw = _read(text)
    wanted = {f.code for f, _ in raw if not f.negated and not f.negation_of}
    spans: List[_Span] = []
    for found, index in raw:
        if found.gives_way_to & (wanted - {found.code}):
            continue
        if found.negation_of and (found.negation_of in wanted or _set_aside(clauses, raw, index)):
            continue  # "no police, I just want him out": an option set aside, not a wish of its own
        if found.negated and found.code in wanted:
            continue  # wanted in another clause: that one is reported
        same = [s for s in spans if s.code == found.code and s.negated == found.negated]
        if same and (spans[-1] is same[-1] or any(s.first <= index <= s.last for s in same)):
            same[-1].last = max(same[-1].last, index)  # said again at once: one wish, all its words
            continue
        if any(s.code == found.code for s in spans) and found.negated:
            continue
        spans.append(_Span(found.code, found.negated, index, index))
    used = {i for s in spans for i in range(s.first, s.last + 1)}
    for span in spans:
        while span.last + 1 < len(clauses) and span.last + 1 not in used and _goes_on_from(clauses, span.last + 1):
            span.last += 1
            used.add(span.last)
    if len(spans) == 1:
        only = spans[0]
        return [OutcomeMention(code=only.code, own_words=text.strip(), negated=only.negated)]
    return [OutcomeMention(code=s.code, own_words=_span_words(text, clauses, s), negated=s.negated) for s in spans]


def unplaced_wish(text: str) -> bool:
    """ "I would like to be free of it all": the only wish found is a something_else that no pattern named.

    The words clearly ask for something, but no pattern said what; a reader with
    a trained model may place it better than something_else.
    """
    if not text or not text.strip():
        return False
    mentions = recognise_outcomes(text)
    if [(m.code, m.negated) for m in mentions] != [(SOMETHING_ELSE, False)]:
        return False
    _, raw = _read(text)
    return all(not f.named for f, _ in raw if f.code == SOMETHING_ELSE)


def expresses_no_wish(text: str) -> bool:
    """ "I'll have to think about it", "she hasn't said": the message says there is no wish yet.

    True when no outcome is found (or only a something_else that no pattern
    named) and every clause is a non-answer ("not sure", "can't say", "think
    about it", "I'd rather not talk about it") or a statement ("he's my son"),
    and at least one is a non-answer. For the reader of an answer: such a
    message is not a wish to keep as something_else.
    """
    if not text or not text.strip() or (recognise_outcomes(text) and not unplaced_wish(text)):
        return False
    clauses, _ = _read(text)
    non_answers = 0
    for clause in clauses:
        if clause.talk or match_spans(_rules().no_wish_matcher, clause.own_doc):
            non_answers += 1
        elif (not clause.statement and _first_content(clause.own_doc) < len(clause.own_doc)
              and not _only_fillers(clause.own_doc, 0, len(clause.own_doc), 0)):
            return False  # a clause with words of its own ("sorry", "right", "please" say nothing)
    return non_answers > 0


def tells_only_a_story(text: str) -> bool:
    """ "It all started when he moved in with me last year": only statements, no wish word, no code.

    Background is not a wish: a reader should not keep it as something_else.
    """
    if not text or not text.strip():
        return False
    clauses, raw = _read(text)
    told = [c for c in clauses if not c.talk]
    return bool(told) and not raw and all(c.statement for c in told)


def outcome_rule_names(code: Optional[str] = None) -> List[str]:
    """Names of the pattern groups (for a code, or all): for reviewers and tests."""
    return [g.name for g in _rules().groups if code is None or g.code == code]
