"""The outcome rules applied to one clause: which groups match where, and what each finding means."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple

from spacy.tokens import Doc

from bot.constants import SOMETHING_ELSE
from bot.language.matching import (
    match_spans,
    spans_overlap,
)
from bot.language.outcome_clauses import _Clause, _first_content, _negated, _only_fillers, _wish_positions
from bot.language.outcome_rules import ABSORB, NEG, NORMAL, POS_ONLY, _cue, _Group, _rules

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
