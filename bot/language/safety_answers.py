"""What a typed answer to a safety question means: the rules first, the learned answer reader beside them.

Safety first, in this order:
1. Only a plain yes is a yes (bot/language/patterns/plain_yes.yml, issue 15). No
   reading of the learned reader ever makes an answer "yes".
2. A "no" stays a "no" unless the learned reader reads it as "yes" (at its
   `again` level, chosen by cross-validation): "nobody's hurting me now" to
   "do you feel safe?" is then asked again (the gentle check, with buttons),
   never recorded as "no" nor as "yes".
3. An answer that is more than a plain yes ("Yes, I'm safe, honestly") and that
   the reader reads as "yes" is asked again too, instead of counting as "not
   sure" (which raises the alarm).
4. An answer the rules cannot read takes the reader's reading when it is not
   "yes" and the reader is sure enough (its `label` level): "no", "not sure",
   "partly", "don't know", "declined".
5. (`reads_as_yes`, used by the forms) An answer to "are you safe?" that only
   the learned danger reader reads as clear danger, while the answer reader
   reads it as "yes" ("i am safe he cant get me here"), is the gentle check,
   not the help at once: the two readers disagree. Never when a rule sees
   danger, nor for the "I am not safe right now" button.
Without the learned readers (unit tests, tools), the rules' reading stands.
"""

from __future__ import annotations

from typing import Optional, Text

from bot import constants as c
from bot.language.answers import is_plain_yes
from bot.language.readers import current
from bot.language.training_data import ANSWER_FAMILIES

# Asked again (with buttons), instead of taken as the rules read it.
ASK_AGAIN = "ask_again"


def _meaning(question: Text, text: Text) -> tuple:  # type: ignore[type-arg]
    """(the answer reader's probabilities, its thresholds) for this question, or ({}, {}) without one."""
    readers = current()
    family = ANSWER_FAMILIES.get(question)
    if readers is None or family is None:
        return {}, {}
    return readers.answer_p(family, text), readers.answer_thresholds(family)


def reads_as_yes(question: Text, text: Text) -> bool:
    """The answer reader reads `text` as "yes" to a safety question (at its `again` level; no question mark)."""
    meaning, thresholds = _meaning(question, text)
    return bool(meaning) and "?" not in text and meaning.get(c.YES, 0.0) >= thresholds.get("again", 2.0)


def read_safety_answer(question: Text, text: Text, rules: Optional[Text]) -> Optional[Text]:
    """The answer's value, ASK_AGAIN, or None (no answer), given what the rules read (`rules`)."""
    if rules == c.YES and is_plain_yes(text):
        return c.YES
    meaning, thresholds = _meaning(question, text)
    if not meaning:
        return None if rules == c.YES else rules
    reads_yes = reads_as_yes(question, text)
    if rules == c.YES or rules in (c.NO, c.NOT_SURE) and question != c.FEEL_SAFE:
        return ASK_AGAIN if reads_yes else (None if rules == c.YES else rules)
    if rules is not None:
        return rules
    label, p = max(meaning.items(), key=lambda item: item[1])
    if label != c.YES and p >= thresholds.get("label", 2.0):
        return label
    return ASK_AGAIN if reads_yes else None
