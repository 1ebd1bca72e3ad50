"""Reading an answer to "what would you like to happen?": one decision, used twice.

The form validator and the held-out benchmark both call `read_wishes`, so the
score we report is the score of what the assistant does. The rule-based
recogniser speaks first; a confident intent from the trained model fills in
when the rules find nothing; words that clearly ask for something we have no
code for are kept as `something_else` in the person's own words (not a message
that only says there is no wish yet, nor one that only tells what happened).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from bot import constants as c
from bot.language.answers import is_not_sure, is_nothing_more
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
    text: str, intent: Optional[str] = None, confidence: float = 0.0, follow_up: bool = False
) -> WishReading:
    """`follow_up`: the question was "anything else?", where a bare "nothing"
    means nothing more, not a wish for nothing to happen."""
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
