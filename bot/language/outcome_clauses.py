"""A message in clauses, for the outcome rules: wishes, statements and fragments, and what negates a wish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from spacy.tokens import Doc

from bot.language.matching import (
    make_doc,
    match_spans,
    split_clauses,
)
from bot.language.normalise import normalise
from bot.language.outcome_rules import _cue, _rules

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



def _only_fillers(doc: Doc, start: int, end: int, prefix_len: int) -> bool:
    """Is everything in doc[start:end] punctuation, borrowed wish words or fillers?"""
    return all(t.is_punct or t.i < prefix_len or _cue(t, "fillers") for t in doc[start:end])
