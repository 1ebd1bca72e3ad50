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

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from spacy.tokens import Doc

from bot.constants import SOMETHING_ELSE
from bot.language.matching import (
    match_spans,
)
from bot.language.outcome_clauses import _Clause, _clauses, _first_content, _only_fillers, _wish_positions
from bot.language.outcome_match import _clause_findings, _Found, _Place

# (the tests reach the rules through this module)
from bot.language.outcome_rules import (
    _cue,
    _group,  # noqa: F401
    _rules,
)


@dataclass(frozen=True)
class OutcomeMention:
    """One wish found in a message: the code for counting, the words for the record."""

    code: str  # one of constants.OUTCOME_CODES
    own_words: str  # the person's own words for this wish, from the ORIGINAL text, trimmed
    negated: bool  # "I don't want him prosecuted" -> police_prosecute, negated=True


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
