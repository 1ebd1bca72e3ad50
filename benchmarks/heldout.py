"""Scores on the held-out sets (tests/data/), never trained or tuned on. Prints figures.

    make benchmark            # or: .venv/bin/python benchmarks/heldout.py [--rules-only]

Outcome codes: micro precision / recall / F1 over codes, and exact-set
matches, for the rule-based recogniser alone and for what the assistant does
(`read_wishes`: rules, then the trained model's confident intent, then own
words as something_else). Danger: recall and false-alarm rate of the
detector. Answers: accuracy per kind of question.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language.answers import recognise_answer  # noqa: E402
from bot.language.danger import detect_danger  # noqa: E402
from bot.language.wishes import read_wishes  # noqa: E402

DATA = ROOT / "tests" / "data"
Parser = Callable[[str], Tuple[Optional[str], float]]


def load(name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DATA / name).read_text())


def score_outcomes(cases: Sequence[dict], parse: Optional[Parser]) -> Dict[str, float]:  # type: ignore[type-arg]
    tp = fp = fn = exact = 0
    per_code: Counter = Counter()
    misses: List[str] = []
    for case in cases:
        intent, confidence = parse(case["text"]) if parse else (None, 0.0)
        got: Set[str] = set(read_wishes(case["text"], intent, confidence).codes)
        want: Set[str] = set(case["codes"] or [])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        for code in want - got:
            per_code[code] += 1
        if got == want:
            exact += 1
        elif len(misses) < 12:
            misses.append(f"    {case['text'][:70]!r}: got {sorted(got)} want {sorted(want)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "exact": exact / len(cases),
            "n": len(cases), "misses": misses, "missed_codes": dict(per_code)}  # type: ignore[dict-item]


def model_parser() -> Optional[Parser]:
    model = ROOT / "models" / "msp.tar.gz"
    if not model.exists():
        return None
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    def parse(text: str) -> Tuple[Optional[str], float]:
        result = asyncio.run(agent.parse_message(text))
        intent = result.get("intent") or {}
        return intent.get("name"), float(intent.get("confidence") or 0.0)

    return parse


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rules-only", action="store_true")
    opts = args.parse_args()

    outcomes = load("outcomes_heldout.yml")["cases"]
    print(f"Outcome codes, held-out set ({len(outcomes)} whole messages)")
    modes = [("rules only", None)]
    parse = None
    if not opts.rules_only:
        parse = model_parser()
        if parse is None:
            print("  (no trained model: run `make train` for the combined figures)")
        else:
            modes.append(("as the assistant reads them (rules + model)", parse))
    for label, parse in modes:
        started = time.perf_counter()
        s = score_outcomes(outcomes, parse)
        took = (time.perf_counter() - started) / len(outcomes) * 1000
        print(f"  {label:45s} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
              f"F1 {s['f1']:.3f}  exact {s['exact']:.3f}  ({took:.1f} ms/message)")
        if s["missed_codes"]:
            print("    missed most: " + ", ".join(
                f"{k} {v}" for k, v in Counter(s["missed_codes"]).most_common(5)))
        for line in s["misses"][:6]:
            print(line)

    danger = load("danger_heldout.yml")
    print(f"\nDanger, held-out set ({len(danger['danger'])} danger, {len(danger['safe'])} safe)")

    def detector(text: str) -> bool:
        return detect_danger(text) is not None

    deciders = [("detector (bot/language/danger.py)", detector)]
    if parse is not None:
        def assistant(text: str) -> bool:
            # The same rule as bot/actions/safety.py: detector, or the model very sure.
            intent, confidence = parse(text)
            return detector(text) or (intent == "danger" and confidence >= 0.9)

        deciders.append(("as the assistant decides (detector or model >= 0.9)", assistant))
    for label, fires in deciders:
        caught = [t for t in danger["danger"] if fires(t)]
        alarms = [t for t in danger["safe"] if fires(t)]
        print(f"  {label:52s} recall {len(caught) / len(danger['danger']):.3f} "
              f"({len(caught)}/{len(danger['danger'])})  false alarms "
              f"{len(alarms) / len(danger['safe']):.3f} ({len(alarms)}/{len(danger['safe'])})")
        for text in [t for t in danger["danger"] if t not in caught][:8]:
            print(f"    missed: {text!r}")

    answers = load("answers_heldout.yml")
    print("\nAnswer recognisers, held-out phrasings")
    total = right = 0
    for kind, pairs in answers.items():
        ok = sum(recognise_answer(text, kind) == want for text, want in pairs)
        total += len(pairs)
        right += ok
        print(f"  {kind:10s} {ok}/{len(pairs)}")
    print(f"  overall    {right}/{total} = {right / total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
