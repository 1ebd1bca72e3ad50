"""The fair data the learned readers are trained on, each example with the set it came from.

Fair: written for training (data/nlu, data/readers, tests/data/tuning), or a
held-out set that has been measured and tuned on since (tests/data/*_heldout.yml,
heldout_v2 to v7, the safety answers v1). Never a set that is still held out:
heldout_v9 and the safety answers v2 are never read here (test_readers.py checks).

The set an example came from is its group: thresholds are chosen by
leave-one-set-out cross-validation, so they carry over to an author the
readers have not seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml

from bot import constants as c
from bot.language.danger_kinds import kind_of_type
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
TESTS = PROJECT_ROOT / "tests" / "data"
NLU = DATA / "nlu"
READERS = DATA / "readers"
# Still held out: never trained on, never tuned on. (v7 was measured before and after the learned
# readers, results/heldout-v7-*.txt; v8 before and after their first round, results/heldout-v8-*.txt;
# both are training data since. v9 was written and measured before the second round. The safety
# answers v1 were measured first, results/heldout-safety-answers-v1-first-measurement.txt, and
# train the answer reader since; v2 was written and measured before it.)
HELD_OUT = (TESTS / "heldout_v9", TESTS / "heldout_safety_answers_v2.yml")
# Answers to the safety questions: the answer reader's training sets (one group each).
ANSWER_SETS = {
    "safe_answers": READERS / "safe_answers.yml",
    "answers_v1": TESTS / "heldout_safety_answers_v1.yml",
}
# The question families the answer reader reads: "are you safe right now?" (and the gentle check),
# and the review's "do you feel as safe as you want to feel?".
ANSWER_FAMILIES = {c.FEELS_SAFE_NOW: "now", c.SAFETY_CHECK: "now", c.FEEL_SAFE: "feel_safe"}
DANGER_SETS = {
    "v1": TESTS / "danger_heldout.yml",
    "v2": TESTS / "heldout_v2" / "danger.yml",
    "v3": TESTS / "heldout_v3" / "danger.yml",
    "v4": TESTS / "heldout_v4" / "danger.yml",
    "v5": TESTS / "heldout_v5" / "danger.yml",
    "v6": TESTS / "heldout_v6" / "danger.yml",
    "v7": TESTS / "heldout_v7" / "danger.yml",
    "v8": TESTS / "heldout_v8" / "danger.yml",
    "danger_more": TESTS / "tuning" / "danger_more.yml",
    "readers": READERS / "danger.yml",
    "readers_more": READERS / "danger_more.yml",
}
OUTCOME_SETS = {
    "v1": TESTS / "outcomes_heldout.yml",
    "v2": TESTS / "heldout_v2" / "outcomes.yml",
    "v3": TESTS / "heldout_v3" / "outcomes.yml",
    "v5": TESTS / "heldout_v5" / "outcomes.yml",
    "v7": TESTS / "heldout_v7" / "outcomes.yml",
    "v8": TESTS / "heldout_v8" / "outcomes.yml",
    "outcomes_check": TESTS / "tuning" / "outcomes_check.yml",
    "outcomes_more": TESTS / "tuning" / "outcomes_more.yml",
}
# NLU intents that are danger, and those that are not (everything else a person says).
DANGER_INTENT = "danger"
_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


@dataclass(frozen=True)
class DangerExample:
    text: str
    danger: bool
    group: str
    kind: Optional[str] = None  # one of DANGER_KINDS when known


@dataclass(frozen=True)
class AnswerExample:
    text: str
    family: str  # ANSWER_FAMILIES' values
    means: str
    group: str


@dataclass(frozen=True)
class WishExample:
    text: str
    codes: Tuple[str, ...]
    group: str


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def nlu_examples() -> Iterator[Tuple[str, str]]:
    """(intent, text) from data/nlu/*.yml (entity annotations removed)."""
    for path in sorted(NLU.glob("*.yml")):
        data = _load(path) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = _ENTITY.sub(lambda m: m.group(1) or m.group(2) or "", line[2:]).strip()
                    if text:
                        yield intent, text


def _listed(items: Any) -> Iterator[Dict[str, Any]]:
    for item in items or []:
        yield item if isinstance(item, dict) else {"text": str(item)}


def danger_examples() -> List[DangerExample]:
    """Every fair danger and safe message, with its set and (when known) its kind of danger."""
    out: List[DangerExample] = []
    for intent, text in nlu_examples():
        if not text.startswith("/"):
            out.append(DangerExample(text, intent == DANGER_INTENT, "nlu"))
    for group, path in DANGER_SETS.items():
        if not path.exists():
            continue
        data = _load(path) or {}
        for item in _listed(data.get("danger")):
            kind = item.get("danger_kind") or kind_of_type(str(item.get("type") or ""))
            out.append(DangerExample(str(item["text"]), True, group, str(kind) if kind else None))
        for item in _listed(data.get("safe")):
            out.append(DangerExample(str(item["text"]), False, group))
    for group, cases in outcome_cases().items():
        for case in cases:  # answers to "what would you like to happen?": wishes, not danger now
            out.append(DangerExample(case.text, False, f"wishes_{group}"))
    return _dedupe(out)


def outcome_cases() -> Dict[str, List[WishExample]]:
    found: Dict[str, List[WishExample]] = {}
    for group, path in OUTCOME_SETS.items():
        if not path.exists():
            continue
        data = _load(path) or {}
        cases = data.get("cases") if isinstance(data, dict) else data
        found[group] = [WishExample(str(c_["text"]), tuple(c_.get("codes") or ()), group)
                        for c_ in _listed(cases) if "text" in c_]
    return found


def wish_answers() -> List[WishExample]:
    """Whole answers of data/readers/wishes.yml (the parts are in wish_clauses)."""
    path = READERS / "wishes.yml"
    if not path.exists():
        return []
    held_out = held_out_texts()
    return [WishExample(str(case["text"]), tuple(case.get("codes") or ()), "readers")
            for case in _listed((_load(path) or {}).get("cases")) if _key(str(case["text"])) not in held_out]


def wish_clauses() -> List[WishExample]:
    """Clause-level wish examples: data/readers/wishes.yml's parts, and single-wish NLU examples."""
    out: List[WishExample] = []
    path = READERS / "wishes.yml"
    if path.exists():
        for case in _listed((_load(path) or {}).get("cases")):
            for part in _listed(case.get("clauses")):
                out.append(WishExample(str(part["text"]), tuple(part.get("codes") or ()), "readers"))
    for intent, text in nlu_examples():
        if intent.startswith(c.WISH_INTENT_PREFIX):
            out.append(WishExample(text, (intent[len(c.WISH_INTENT_PREFIX):],), "nlu"))
        elif intent in ("greet", "affirm", "deny", "dont_know", "nothing_more", "out_of_scope", "harm_not_now"):
            out.append(WishExample(text, (), "nlu"))
    for cases in outcome_cases().values():
        out.extend(case for case in cases if len(case.codes) <= 1)
    held_out = held_out_texts()
    return [example for example in out if _key(example.text) not in held_out]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def held_out_texts() -> frozenset:  # type: ignore[type-arg]
    """Every text of a set still held out. Authors writing apart sometimes write the same short
    message ("yes", "my kitchen is on fire"); such a text is left out of training, so a held-out
    figure is never about a message the readers were trained on. Only the texts are read, never
    their labels, and nothing is tuned on them."""
    found: set = set()  # type: ignore[type-arg]
    for path in (TESTS / "heldout_v9" / "danger.yml", TESTS / "heldout_v9" / "outcomes.yml",
                 TESTS / "heldout_safety_answers_v2.yml"):
        if path.exists():
            data = _load(path) or {}
            for key in ("danger", "safe", "cases", "answers"):
                found.update(_key(str(item.get("text", ""))) for item in _listed(data.get(key)))
    return frozenset(found)


def _dedupe(examples: List[DangerExample]) -> List[DangerExample]:
    """One example per text (the first set that has it), so no text is in two folds; none held out."""
    held_out = held_out_texts()
    seen: Dict[str, DangerExample] = {}
    for example in examples:
        key = _key(example.text)
        if key and key not in seen and key not in held_out:
            seen[key] = example
    return list(seen.values())


def answer_examples() -> List[AnswerExample]:
    """Answers to the safety questions, labelled with what the person meant; none held out."""
    held_out = held_out_texts()
    out: List[AnswerExample] = []
    seen: set = set()  # type: ignore[type-arg]
    for group, path in ANSWER_SETS.items():
        if not path.exists():
            continue
        for item in _listed((_load(path) or {}).get("answers")):
            family = ANSWER_FAMILIES.get(str(item.get("question")))
            text = str(item.get("text", ""))
            key = (family, _key(text))
            if family is None or not key[1] or key in seen or key[1] in held_out:
                continue
            seen.add(key)
            out.append(AnswerExample(text, family, str(item["means"]), group))
    return out
