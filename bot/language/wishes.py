"""Reading an answer to "what would you like to happen?": one decision, used twice.

The form validator and the held-out benchmark both call `read_wishes`, so the
score we report is the score of what the assistant does. The rule-based
recogniser speaks first; a confident intent from the trained model fills in
when the rules find nothing; words that clearly ask for something we have no
code for are kept as `something_else` in the person's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from bot import constants as c
from bot.language.answers import is_not_sure, is_nothing_more
from bot.language.outcomes import recognise_outcomes
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

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(code for code, _ in self.wanted)


def read_wishes(
    text: str, intent: Optional[str] = None, confidence: float = 0.0, follow_up: bool = False
) -> WishReading:
    """`follow_up`: the question was "anything else?", where a bare "nothing"
    means nothing more, not a wish for nothing to happen."""
    if follow_up and (is_nothing_more(text) or text.strip().lower() in ("nothing", "nothing.")):
        return WishReading(NOTHING_MORE)
    if detect_repair(text):
        return WishReading(UNCLEAR)  # "I'd rather not say" is not a wish: the caller repairs
    mentions = recognise_outcomes(text)
    wanted = tuple((m.code, m.own_words) for m in mentions if not m.negated)
    dropped = tuple(m.code for m in mentions if m.negated)
    if wanted or dropped:
        return WishReading(WISHES, wanted, dropped)

    sure_intent = intent if confidence >= WISH_INTENT_CONFIDENCE else None
    if is_nothing_more(text) or sure_intent in (c.INTENT_NOTHING_MORE, c.INTENT_DENY):
        return WishReading(NOTHING_MORE)
    if is_not_sure(text) or sure_intent == c.INTENT_DONT_KNOW:
        return WishReading(NOT_SURE)
    if sure_intent and sure_intent.startswith(c.WISH_INTENT_PREFIX):
        code = sure_intent[len(c.WISH_INTENT_PREFIX) :]
        if code in c.OUTCOME_CODES:
            return WishReading(WISHES, ((code, text.strip()),))
    if sure_intent == c.INTENT_AFFIRM:
        return WishReading(MORE_TO_SAY)
    if sure_intent in c.REPAIRS and len(text.split()) < MIN_WORDS_FOR_OWN_WISH:
        return WishReading(UNCLEAR)
    if len(text.split()) >= MIN_WORDS_FOR_OWN_WISH and not text.rstrip().endswith("?"):
        return WishReading(WISHES, ((c.SOMETHING_ELSE, text.strip()),))
    return WishReading(UNCLEAR)


def carries_a_wish(text: str) -> bool:
    """The message asks for something to happen (by the rules), whatever else it says."""
    return any(not m.negated for m in recognise_outcomes(text))
