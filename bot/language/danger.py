"""Read a message for present danger or self-harm: clear, possible, or none.

Why this shape: missing "he's at the door" is far worse than an extra
question, so recall comes first, in two tiers. Clear danger gets the 999 and
helpline message at once. Possible danger (a rule that is unsure, or the
model and the rules disagreeing) gets one gentle "Are you safe right now?",
and that answer decides.

The rules are data (`patterns/danger.yml`), and this module is the engine:
1. the message is split into clauses (sentence ends, commas, "and", "but",
   "so", and a new subject: "I want him arrested he's hitting me" is two);
2. every pattern match is judged in its own clause only. A negation, the
   past, a hope ("I want him to stop hitting me"), a hypothetical ("if he
   comes back"), a story (an accident, a pet) or an ordinary visit can make
   that match safe, or lower it to a gentle check. Nothing in another clause
   can switch it off: a plain statement of present safety elsewhere ("I'm
   home and safe now") can only lower a past account to the gentle check. The
   one reach across clauses is a programme, a book or the news named in the
   sentence ("EastEnders last night, she pushed him down the stairs"), and only
   for what happens to others, then (no first person, nothing present);
3. a match inside an ordinary idiom ("the bleeding radiator", "I could
   strangle my sister") is dropped;
4. one dangerous clause is enough: the message takes its highest tier.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from spacy.tokens import Doc

from bot.language.danger_rules import (  # noqa: F401
    _JOINERS,
    _OPENERS,
    _RANK,
    CLEAR,
    DANGER,
    DANGER_INTENT,
    MODEL_SURE_NOT_DANGER,
    MODEL_UNSURE,
    NONE,
    NOT_DANGER_INTENTS,
    PATTERNS_FILE,
    POSSIBLE,
    REVIEW,
    SELF_HARM,
    SHORT_CLAUSE,
    _Clause,
    _cue,
    _Group,
    _rules,
    _two_word_cue,
    clauses,
)
from bot.language.danger_types import DangerReading, DangerSignal  # noqa: F401
from bot.language.matching import make_doc, match_spans

# --- judging one match in its clause -----------------------------------------------------------


def _negated_at(doc: Doc, i: int) -> bool:
    """A negation that negates ("no, he's here" and "not sure" do not)."""
    token = doc[i]
    if not (_cue(token, "negation") or _two_word_cue(doc, i, "negation")):
        return False
    nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    if token.lower_ == "no" and (nxt in _rules().cues["negation_exceptions_after"] or not nxt):
        return False
    if nxt in ("sure", "certain", "idea"):
        return False
    if token.lemma_ == "not" and i > 0 and doc[i - 1].lemma_ == "do" and nxt == "know":
        return False
    return True


def _negated(doc: Doc, group: _Group, own_negation: bool, start: int, end: int, cs: int,
             prev_clause: Optional[_Clause]) -> bool:
    if not (group.negation_inside or own_negation) and any(_negated_at(doc, i) for i in range(start, end)):
        return True
    if not group.negation_inside and any(_negated_at(doc, i) for i in range(max(cs, start - 4), start)):
        return True
    # "I haven't got any thoughts of ending my life", "no intention of hurting myself":
    # a negated thought reaches what it is about.
    if not group.negation_inside:
        for i in range(max(cs, start - 3), start):
            if _cue(doc[i], "thought") and any(_negated_at(doc, j) for j in range(max(cs, i - 4), i)):
                return True
    # "he doesn't know where I live": "don't know" is uncertainty, except right before what it negates.
    if not group.negation_inside and start >= 2 and doc[start - 1].lemma_ == "not" and doc[start].lower_ == "know":
        return True
    # "I don't think he'll hurt me": a negated opinion just before reaches this clause.
    if prev_clause is not None:
        for i in range(prev_clause.start, prev_clause.end - 1):
            if _negated_at(doc, i) and _cue(doc[i + 1], "opinion"):
                return True
        if prev_clause.end - prev_clause.start <= 3 and any(
            _negated_at(doc, i) for i in range(prev_clause.start, prev_clause.end)
        ) and any(_cue(t, "opinion") for t in doc[prev_clause.start:prev_clause.end]):
            return True
    for i in range(cs, max(cs, start - 1)):
        if _negated_at(doc, i) and i + 1 < len(doc) and _cue(doc[i + 1], "opinion"):
            return True
    return False


def _in_ranges(spans: List[Tuple[int, int]], lo: int, hi: int) -> bool:
    """A cue span inside [lo, hi)."""
    return any(lo <= s and e <= hi for s, e in spans)


def _has_now(doc: Doc, lo: int, hi: int, match: Tuple[int, int]) -> bool:
    return any(
        (_cue(doc[i], "now") or _two_word_cue(doc, i, "now")) and not match[0] <= i < match[1]
        for i in range(lo, hi)
    )


def _hoped(doc: Doc, start: int, cs: int) -> bool:
    """ "I want him to stop hitting me", "he stopped hitting me" (not a shouted "stop hitting me")."""
    reach = _rules().hope_reach
    if any(_cue(doc[i], "hope") for i in range(max(cs, start - reach), start)):
        return True
    for i in range(max(cs, start - 2), start):
        if _cue(doc[i], "stop") and (doc[i].lower_ in ("stopped", "stops", "quit") or
                                      (i > 0 and doc[i - 1].lower_ == "to")):
            return True
    return False


def _fear_of_a_thing(doc: Doc, start: int, end: int) -> bool:
    """ "scared of spiders", "scared of what might happen", "scared I'll forget": not fear of harm."""
    if not any(_cue(t, "fear_words") for t in doc[start:end]) or end >= len(doc):
        return False
    nxt = doc[end].lower_
    if nxt not in ("of", "i", "that", "about"):
        return False
    following = doc[end + 1:end + 7]
    if nxt == "of" and len(following) and following[0].lower_ == "what":
        following = doc[end + 2:end + 5]
    return not any(_cue(t, "feared_people") for t in following)


_WORD_NUMBERS: Dict[str, int] = {
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12,
}


def _number(text: str) -> Optional[int]:
    return int(text) if text.isdigit() else _WORD_NUMBERS.get(text)


def _lower(level: str) -> str:
    return {CLEAR: POSSIBLE, POSSIBLE: NONE}.get(level, NONE)


def _clause_index(where: List[_Clause], i: int) -> int:
    """The clause holding token i (a stop token belongs to the clause before it)."""
    for k, clause in enumerate(where):
        if clause.start <= i < clause.end:
            return k
    before = [k for k, clause in enumerate(where) if clause.end <= i]
    return before[-1] if before else 0


def _judge(doc: Doc, group: _Group, own_negation: bool, start: int, end: int, where: List[_Clause],
           past_long: List[Tuple[int, int]], past_recent: List[Tuple[int, int]],
           safe_now: List[Tuple[int, int]]) -> Tuple[str, str]:
    """This match's tier in its own clause, and the cue that changed it."""
    first = _clause_index(where, start)
    last = max(first, _clause_index(where, end - 1))
    cs, ce = where[first].start, where[last].end
    prev = where[first - 1] if first > 0 and where[first - 1].sentence == where[first].sentence else None
    sentence = where[first].sentence
    match = (start, end)

    if group.not_before and end < len(doc) and (doc[end].lemma_ in group.not_before or
                                                 doc[end].lower_ in group.not_before):
        return NONE, "not_before"
    if group.not_after and start > 0 and doc[start - 1].lower_ in group.not_after:
        return NONE, "not_after"
    if group.kind == DANGER and start > 0 and _cue(doc[start - 1], "relative") and not (
        doc[start].lower_.endswith("s") or doc[start].lower_.endswith("ing")
    ):
        return NONE, "who did it"  # "the member of staff who hit him": naming someone by what they did
    if group.big_number and not any((_number(t.lower_) or 0) >= 8 for t in doc[start:end]):
        return NONE, "small number"
    if group.needs and not any(t.lemma_ in group.needs or t.lower_ in group.needs for t in doc):
        return NONE, "needs"
    if group.fear and _fear_of_a_thing(doc, start, end):
        return NONE, "fear of a thing"
    if _negated(doc, group, own_negation, start, end, cs, prev):
        return NONE, "negation"
    # "hope they lock him up": a hope whose clause is the one that follows.
    if group.kind == DANGER and (_hoped(doc, start, cs) or (
            prev is not None and _cue(doc[prev.end - 1], "hope_clause")
    )):
        return NONE, "hope"
    if group.story_cancels and any(_cue(t, "story") for t in doc[cs:ce]):
        return NONE, "story"
    if _about_others_in_media(doc, cs, ce, start, end, where, where[first].sentence):
        return NONE, "media"
    if group.visit_cancels and any(_cue(t, "visit") or _two_word_cue(doc, t.i, "visit") for t in doc[cs:ce]):
        return NONE, "ordinary visit"

    level = group.tier
    now = _has_now(doc, cs, ce, match)
    # Evidence that it is happening now may come from anywhere in the message
    # ("my husband is downstairs and he's really angry"); only what makes a match safe stays in its clause.
    if level == POSSIBLE and group.now_makes_clear and any(
        (_cue(t, "immediacy") or _two_word_cue(doc, t.i, "immediacy")) and not start <= t.i < end for t in doc
    ):
        level = CLEAR
    why = ""
    # A short clause next to this one that is only a time ("years ago, he hit me";
    # "he hit me when I was little") belongs to it.
    lo, hi = cs, ce
    if prev is not None and prev.end - prev.start <= SHORT_CLAUSE:
        lo = prev.start
    nxt = where[last + 1] if last + 1 < len(where) and where[last + 1].sentence == sentence else None
    if nxt is not None and nxt.end - nxt.start <= SHORT_CLAUSE:
        hi = nxt.end
    if not now and _in_ranges(past_long, lo, hi):
        return NONE, "long ago"
    if not now and _in_ranges(past_recent, lo, hi):
        level, why = _lower(level), "recent past"
    # "I'm home and safe now but they left me in soiled sheets for hours": a statement of present
    # safety in another clause lowers an account with nothing present in its own clause to the gentle
    # check (never to silence): "I'm safe but he's outside" keeps its tier.
    if level == CLEAR and any(s < cs or e > ce for s, e in safe_now) and not any(
        _cue(t, "present") or _two_word_cue(doc, t.i, "present") for t in doc[cs:ce]
    ):
        level, why = POSSIBLE, "safe now"
    # "if he comes to the door": the match is the condition itself, so not now.
    if any(_cue(t, "hypothetical") or _two_word_cue(doc, t.i, "hypothetical") for t in doc[cs:start]):
        return NONE, "hypothetical"
    if group.kind == DANGER and any(_two_word_cue(doc, t.i, "conditional") for t in doc[cs:start]):
        return NONE, "conditional"
    # "if he comes back, he'll kill me": a fear of what may happen gets the gentle check.
    hypothetical = any(
        (_cue(t, "hypothetical") or _two_word_cue(doc, t.i, "hypothetical"))
        for cl in where if cl.sentence == sentence and cl.end <= cs for t in doc[cl.start:cl.end]
    )
    if group.firm:
        return level, why  # a threat to kill is danger now, whatever it hangs on
    if hypothetical:
        level, why = _lower(level), "hypothetical"
    elif not now and (
        any(_cue(t, "reported") for t in doc[(prev.start if prev else cs):ce] if not start <= t.i < end)
        or any(_cue(t, "justice") for t in doc[cs:ce] if not start <= t.i < end)
    ):
        level, why = _lower(level), "reported or before the court"
    return level, why


def _about_others_in_media(doc: Doc, cs: int, ce: int, start: int, end: int, where: List[_Clause],
                           sentence: int) -> bool:
    """ "EastEnders had a right carry on, she pushed him down the stairs": others, in a programme, a book
    or the news. Never when the clause has a first person ("he hit me while I watched telly") or
    anything present ("there's a man outside, it's on the news"), unless the match is what the
    programme or book is about ("my book club is doing a novel about a woman locked in an attic")
    or happens in it ("in the book a girl is kept prisoner")."""
    if any(_cue(doc[i], "media") and doc[i + 1].lower_ in ("about", "where") for i in range(cs, start - 1)):
        return True
    if any(_cue(t, "first_person") for t in doc[cs:ce]):
        return False
    if any(_cue(doc[i], "media") and any(doc[j].lower_ in ("in", "on") for j in range(max(cs, i - 2), i))
           for i in range(cs, start)):
        return True
    if any(_cue(t, "present") or _two_word_cue(doc, t.i, "present") for t in doc[cs:ce]):
        return False
    return any(_cue(t, "media") and not start <= t.i < end
               for cl in where if cl.sentence == sentence for t in doc[cl.start:cl.end])


def _cry_for_help(doc: Doc) -> bool:
    """ "help", "help!!", "sos", "please hurry": a cry for help on its own."""
    rules = _rules()
    words = [t for t in doc if not t.is_punct and t.text.strip()]
    if not words:
        return False
    inside = all(t.lower_ in rules.cry_words or t.lemma_ in rules.cry_words for t in words)
    return inside and any(t.lower_ in rules.cry_core or t.lemma_ in rules.cry_core for t in words)


def assess_danger(text: str) -> DangerReading:
    """The message's danger tier (clear, possible, none) with every signal found."""
    if not text or not text.strip():
        return DangerReading(NONE)
    doc = make_doc(text)
    if _cry_for_help(doc):
        return DangerReading(CLEAR, (DangerSignal(DANGER, doc.text, CLEAR, "cry for help"),))
    rules = _rules()
    where = clauses(doc)
    if not where:
        return DangerReading(NONE)
    # "since last night", "since yesterday": from then until now, so not the past; nor is "he wouldn't
    # stop when I said no" ("stopped when" negated).
    past_long = [(s, e) for _, s, e in match_spans(rules.past_long, doc)
                 if not _recently(doc, s, e) and not _since(doc, s) and not _opens_clause(doc, s, e)
                 and not (s > 0 and _negated_at(doc, s - 1))]
    past_recent = [(s, e) for _, s, e in match_spans(rules.past_recent, doc) if not _since(doc, s)]
    idioms = [(s, e) for _, s, e in match_spans(rules.idioms, doc)]
    safe_now = [(s, e) for _, s, e in match_spans(rules.safe_now, doc)
                if not any(_negated_at(doc, i) for i in range(max(0, s - 1), e))]
    signals: List[DangerSignal] = []
    for key, start, end in match_spans(rules.matcher, doc):
        if any(s < end and start < e for s, e in idioms):
            continue  # "the bleeding radiator", "I could strangle my sister": an idiom, not an account
        group = rules.groups[int(key.split(":")[0])]
        level, why = _judge(doc, group, rules.negating[key], start, end, where, past_long, past_recent,
                            safe_now)
        if level != NONE:
            signals.append(DangerSignal(group.kind, doc[start:end].text, level, group.name, why))
    if not signals:
        return DangerReading(NONE)
    best = max(signals, key=lambda s: _RANK[s.level]).level
    signals.sort(key=lambda s: -_RANK[s.level])
    return DangerReading(best, tuple(signals))


def _opens_clause(doc: Doc, start: int, end: int) -> bool:
    """ "before he gets home", "before it's too late": a word that opens a clause of its own is not
    the past ("it's happened before", "before that" are)."""
    if end != start + 1 or doc[start].lower_ not in _OPENERS or end >= len(doc):
        return False
    nxt = doc[end]
    return not (nxt.is_punct or not nxt.text.strip() or nxt.lower_ in _JOINERS or
                nxt.lower_ in ("that", "then", "now", "this", "anyway", "too", "as", "though"))


def _since(doc: Doc, start: int) -> bool:
    """ "since last night": a time that runs up to now."""
    return start > 0 and doc[start - 1].lower_ == "since"


def _recently(doc: Doc, start: int, end: int) -> bool:
    """ "a minute ago", "an hour ago": recent, so not a reason to stand down."""
    return doc[end - 1].lower_ == "ago" and end >= 2 and _cue(doc[end - 2], "short_times")


def decide(reading: DangerReading, intent: Optional[str], confidence: float, learned: Any = None) -> str:
    """The running decision: clear, possible, review or none.

    With the learned readers (`learned`, a readers.DangerScore; the servers
    always have one, loaded at start), three tiers and a precise layer:
    - the rules sure: clear (the help at once), unless the learned reader
      scores it below its own gentle-check threshold: the two disagree, so
      possible, the gentle check, whose answer decides; never silence;
    - the rules unsure (or sure of the words but the time is past, the harm
      reported, ...): possible, the gentle check, whatever the reader says;
    - otherwise the learned reader's own tier: clear, possible, review (the
      conversation carries on; a person reads it the same day) or none.
    Without them (tools and unit tests that load none), the rules and the
    Rasa model's intent as before: rules sure and the model sure that this is
    the past, a negation or everyday talk gives the gentle check; rules
    unsure, or the model alone says danger, the gentle check.
    """
    if learned is not None:
        if reading.level == CLEAR:
            return POSSIBLE if learned.p < learned_veto(learned) else CLEAR
        if reading.level == POSSIBLE:
            return POSSIBLE  # the rules judged it past, reported or unsure: the gentle check decides
        return str(learned.tier)
    if reading.level == CLEAR and intent in NOT_DANGER_INTENTS and confidence >= MODEL_SURE_NOT_DANGER:
        return POSSIBLE
    if reading.level != NONE:
        return reading.level
    if intent == DANGER_INTENT and confidence >= MODEL_UNSURE:
        return POSSIBLE
    return NONE


def learned_veto(learned: Any) -> float:
    """The score under which the learned reader overrules a sure rule (down to the gentle check)."""
    return float(getattr(learned, "veto", 0.0))
