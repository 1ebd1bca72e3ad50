"""Reading an answer to "what would you like to happen?": one decision, used twice.

The form validator and the held-out benchmark both call `read_wishes`, so the
score we report is the score of what the assistant does. The rule-based
recogniser speaks first; a confident intent from the trained model fills in
when the rules find nothing; words that clearly ask for something we have no
code for are kept as `something_else` in the person's own words (not a message
that only says there is no wish yet, nor one that only tells what happened).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from bot import constants as c
from bot.language.answers import is_not_sure, is_nothing_more
from bot.language.matching import split_clauses
from bot.language.outcomes import expresses_no_wish, recognise_outcomes, tells_only_a_story, unplaced_wish
from bot.language.repair import detect_repair

# The model's intent stands in for the rules only when it is this sure.
WISH_INTENT_CONFIDENCE = 0.7
# A message this short that names no wish is not a wish ("hmm", "ok").
MIN_WORDS_FOR_OWN_WISH = 3

WISHES = "wishes"
NOTHING_MORE = "nothing_more"
NOT_SURE = "not_sure"
MORE_TO_SAY = "more_to_say"  # "yes" to "anything else?": they have more to tell
UNCLEAR = "unclear"


@dataclass(frozen=True)
class WishReading:
    kind: str
    wanted: Tuple[Tuple[str, str], ...] = ()  # (code, own words)
    dropped: Tuple[str, ...] = ()  # codes the person no longer wants
    dropped_words: Tuple[str, ...] = ()  # the words that said so

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(code for code, _ in self.wanted)


def read_wishes(
    text: str, intent: Optional[str] = None, confidence: float = 0.0, follow_up: bool = False,
    learned: Any = None,
) -> WishReading:
    """`follow_up`: the question was "anything else?", where a bare "nothing"
    means nothing more, not a wish for nothing to happen. `learned`: the learned
    readers (bot/language/readers.py); with them, each clause is read by the
    wish classifier too (`refine`)."""
    reading = _read_wishes(text, intent, confidence, follow_up)
    if learned is None or getattr(learned, "wishes", None) is None:
        return reading
    return refine(text, reading, learned)


# --- the learned wish reader beside the rules ------------------------------------------------------

def refine(text: str, reading: WishReading, learned: Any,
           probs: Optional[List[Dict[str, float]]] = None) -> WishReading:
    """The rules' wishes, checked and completed clause by clause by the learned wish classifier.

    - A wish the rules found is kept unless the classifier is sure that no
      clause of its words asks for that (below `veto`): a background sentence
      read as a wish ("her carer is called Jo").
    - A clause the rules found nothing in gains the codes the classifier is
      sure of (at or above `add`), each a wish with that clause's own words.
    - A message the rules read as no wish, nothing more or not sure stays so:
      the classifier adds wishes only where the rules saw words that ask.
    Thresholds come from cross-validation on training data (train_readers.py).
    """
    if reading.kind not in (WISHES, UNCLEAR):
        return reading
    thresholds = learned.manifest.get("wishes", {}).get("thresholds") or {}
    add, veto = float(thresholds.get("add", 1.01)), float(thresholds.get("veto", -1.0))
    clauses = answer_clauses(text)
    if not clauses:
        return reading
    probs = probs if probs is not None else learned.wish_p(clauses)
    kept: List[Tuple[str, str]] = []
    covered = set()
    for code, words in reading.wanted:
        inside = [i for i, cl in enumerate(clauses) if cl in words or words in cl] or list(range(len(clauses)))
        best = max(probs[i].get(code, 0.0) for i in inside)
        if code == c.SOMETHING_ELSE or best >= veto:
            kept.append((code, words))
            covered.update(inside)  # a wish set aside leaves its clauses for the classifier to read
    added: List[Tuple[str, str]] = []
    if reading.kind == WISHES or len(text.split()) >= MIN_WORDS_FOR_OWN_WISH:
        for i, clause in enumerate(clauses):
            if i in covered or _says_no_wish(clause):
                continue
            for code, p in sorted(probs[i].items(), key=lambda kv: -kv[1]):
                if code != c.SOMETHING_ELSE and p >= add and (code, clause) not in added:
                    added.append((code, clause.strip()))
    wanted = tuple(kept + added)
    if not wanted and not reading.dropped:
        return WishReading(UNCLEAR) if reading.kind == WISHES else reading
    return WishReading(WISHES, wanted, reading.dropped, reading.dropped_words)


def answer_clauses(text: str) -> List[str]:
    """The parts of an answer the wish classifier reads, one by one."""
    return [cl for cl in split_clauses(text) if cl.strip()]


@functools.lru_cache(maxsize=2048)
def _says_no_wish(clause: str) -> bool:
    """Background or "not sure yet": no clause for the classifier to add a wish from."""
    return expresses_no_wish(clause) or tells_only_a_story(clause)


def _read_wishes(
    text: str, intent: Optional[str] = None, confidence: float = 0.0, follow_up: bool = False
) -> WishReading:
    if follow_up and (is_nothing_more(text) or text.strip().lower() in ("nothing", "nothing.")
                      or _nothing_more_then_talk(text)):
        return WishReading(NOTHING_MORE)
    if detect_repair(text):
        return WishReading(UNCLEAR)  # "I'd rather not say" is not a wish: the caller repairs
    mentions = recognise_outcomes(text)
    wanted = tuple((m.code, m.own_words) for m in mentions if not m.negated)
    dropped = tuple(m.code for m in mentions if m.negated)
    dropped_words = tuple(m.own_words for m in mentions if m.negated)
    sure_intent = intent if confidence >= WISH_INTENT_CONFIDENCE else None
    if wanted or dropped:
        model_code = _wish_code(sure_intent)
        if model_code and model_code != c.SOMETHING_ELSE and unplaced_wish(text):
            # A wish no pattern could name ("to be free of it all"): the model places it.
            return WishReading(WISHES, ((model_code, text.strip()),), dropped, dropped_words)
        if wanted == ((c.SOMETHING_ELSE, text.strip()),) and expresses_no_wish(text):
            return WishReading(NOT_SURE)  # "I'll have to think about it" is not a wish
        return WishReading(WISHES, wanted, dropped, dropped_words)

    if is_nothing_more(text) or sure_intent in (c.INTENT_NOTHING_MORE, c.INTENT_DENY):
        return WishReading(NOTHING_MORE)
    if is_not_sure(text) or sure_intent == c.INTENT_DONT_KNOW:
        return WishReading(NOT_SURE)
    model_code = _wish_code(sure_intent)
    if model_code and not expresses_no_wish(text):
        # "Not sure what she'd want, I'll ask her": no wish yet, whatever the model guesses.
        return WishReading(WISHES, ((model_code, text.strip()),))
    if sure_intent == c.INTENT_AFFIRM:
        return WishReading(MORE_TO_SAY)
    if sure_intent in c.REPAIRS and len(text.split()) < MIN_WORDS_FOR_OWN_WISH:
        return WishReading(UNCLEAR)
    if (len(text.split()) >= MIN_WORDS_FOR_OWN_WISH and not text.rstrip().endswith("?")
            and not expresses_no_wish(text) and not tells_only_a_story(text)):
        return WishReading(WISHES, ((c.SOMETHING_ELSE, text.strip()),))
    return WishReading(UNCLEAR)


_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+")


def _nothing_more_then_talk(text: str) -> bool:
    """ "Nothing more, thank you. I feel better for having said it.": at "anything else?", nothing more,
    then a sentence that asks for nothing."""
    first, *rest = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return bool(rest) and is_nothing_more(first) and not carries_a_wish(rest[0])


def _wish_code(intent: Optional[str]) -> Optional[str]:
    """The outcome code a `wish_<code>` intent names, else None."""
    if intent and intent.startswith(c.WISH_INTENT_PREFIX):
        code = intent[len(c.WISH_INTENT_PREFIX):]
        return code if code in c.OUTCOME_CODES else None
    return None


def carries_a_wish(text: str) -> bool:
    """The message asks for something to happen (by the rules), whatever else it says."""
    return any(not m.negated for m in recognise_outcomes(text))
