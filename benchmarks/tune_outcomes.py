"""Outcome scores on the TUNING sets: the figures the outcome rules are developed against.

    .venv/bin/python benchmarks/tune_outcomes.py                     # rules only
    .venv/bin/python benchmarks/tune_outcomes.py --model /tmp/outcomes-model/nlu.tar.gz
    .venv/bin/python benchmarks/tune_outcomes.py --set more --misses 0   # figures only
    .venv/bin/python benchmarks/tune_outcomes.py --proposed             # with the proposed reader change

It scores what the assistant does with an answer to "What would you like to
happen?": `read_wishes` (rules, then the model's confident intent when a model
is given, then long unplaced messages as something_else). Only the wanted codes
count; a negated wish ("I don't want him prosecuted") is `dropped`, not wanted.

--proposed scores a change to read_wishes that is proposed, not made (wishes.py
belongs to another change): (1) a message that only says there is no wish yet
(`outcomes.expresses_no_wish`: "I'll have to think about it") is not kept as
something_else, and (2) when the rules' only reading is a something_else that no
pattern named (`outcomes.unplaced_wish`), a confident model wish intent is used.

Tuning sets (all may be looked at and tuned on):
  heldout  tests/data/outcomes_heldout.yml (the old held-out set, now tuning data)
  more     tests/data/tuning/outcomes_more.yml
  check    tests/data/tuning/outcomes_check.yml (written after the first round, to check generalisation)
  mixed    the `wishes` cases of tests/data/tuning/mixed_messages.yml
  v2       tests/data/heldout_v2/outcomes.yml (held-out set v2, measured once, now tuning data)
  v3       tests/data/heldout_v3/outcomes.yml (held-out set v3, measured once, now tuning data)

The current held-out set (tests/data/heldout_v5/) is never read here: it is
scored only by the benchmark, and its misses must not be tuned on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import constants as c  # noqa: E402
from bot.language.outcomes import expresses_no_wish, unplaced_wish  # noqa: E402
from bot.language.wishes import WISH_INTENT_CONFIDENCE, WishReading, read_wishes  # noqa: E402

DATA = ROOT / "tests" / "data"
FORBIDDEN = "heldout_v5"
Parser = Callable[[str], Tuple[Optional[str], float]]
Case = Tuple[str, Set[str]]


def _read(path: Path) -> dict:  # type: ignore[type-arg]
    if FORBIDDEN in path.parts:
        raise SystemExit(f"refusing to read {path}: the held-out set is never used for tuning")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _coded(path: Path) -> List[Case]:
    """A file of {text, codes} cases."""
    return [(c["text"], set(c["codes"] or [])) for c in _read(path)["cases"]]


def load_heldout_v1() -> List[Case]:
    return _coded(DATA / "outcomes_heldout.yml")


def load_more() -> List[Case]:
    return _coded(DATA / "tuning" / "outcomes_more.yml")


def load_check() -> List[Case]:
    return _coded(DATA / "tuning" / "outcomes_check.yml")


def load_v2() -> List[Case]:
    return _coded(DATA / "heldout_v2" / "outcomes.yml")


def load_v3() -> List[Case]:
    return _coded(DATA / "heldout_v3" / "outcomes.yml")


def load_mixed() -> List[Case]:
    cases = _read(DATA / "tuning" / "mixed_messages.yml")["cases"]
    return [
        (c["text"], set(c["expect"]["wishes"] or []))
        for c in cases
        if c.get("question") == "desired_outcomes" and "wishes" in (c.get("expect") or {})
    ]


SETS: Dict[str, Callable[[], List[Case]]] = {
    "heldout": load_heldout_v1, "more": load_more, "check": load_check, "mixed": load_mixed, "v2": load_v2,
    "v3": load_v3,
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0
    n: int = 0
    false_pos: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    false_neg: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    misses: List[Tuple[str, List[str], List[str]]] = field(default_factory=list)

    def add(self, text: str, got: Set[str], want: Set[str]) -> None:
        self.n += 1
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)
        self.false_pos.update(got - want)
        self.false_neg.update(want - got)
        if got == want:
            self.exact += 1
        else:
            self.misses.append((text, sorted(got), sorted(want)))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return (f"precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}  "
                f"exact {self.exact / self.n if self.n else 0:.3f}  (n={self.n}, tp {self.tp}, fp {self.fp}, "
                f"fn {self.fn})")


def read_proposed(text: str, intent: Optional[str], confidence: float) -> WishReading:
    """read_wishes with the proposed change (see the module docstring)."""
    reading = read_wishes(text, intent, confidence)
    sure = intent if confidence >= WISH_INTENT_CONFIDENCE else None
    code = sure[len(c.WISH_INTENT_PREFIX):] if sure and sure.startswith(c.WISH_INTENT_PREFIX) else None
    if code in c.OUTCOME_CODES and reading.codes == (c.SOMETHING_ELSE,) and unplaced_wish(text):
        return WishReading(reading.kind, ((str(code), text.strip()),), reading.dropped)
    if reading.wanted == ((c.SOMETHING_ELSE, text.strip()),) and expresses_no_wish(text):
        return WishReading("not_sure")
    return reading


def score(cases: Sequence[Case], parse: Optional[Parser], proposed: bool = False) -> Score:
    result = Score()
    reader = read_proposed if proposed else read_wishes
    for text, want in cases:
        intent, confidence = parse(text) if parse else (None, 0.0)
        result.add(text, set(reader(text, intent, confidence).codes), want)
    return result


def model_parser(path: str) -> Parser:
    """Parse with a trained model (an NLU model is enough), as the assistant would."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(path)

    def parse(text: str) -> Tuple[Optional[str], float]:
        result = asyncio.run(agent.parse_message(text))
        intent = result.get("intent") or {}
        return intent.get("name"), float(intent.get("confidence") or 0.0)

    return parse


def report(label: str, s: Score, misses: int) -> None:
    print(f"  {label:8s} {s.line()}")
    if misses:
        fp = ", ".join(f"{k} {v}" for k, v in s.false_pos.most_common())
        fn = ", ".join(f"{k} {v}" for k, v in s.false_neg.most_common())
        print(f"           wrongly found: {fp or '-'}")
        print(f"           missed:        {fn or '-'}")
        for text, got, want in s.misses[:misses]:
            print(f"      {text[:150]!r}\n          got {got} want {want}")


def main(argv: Optional[List[str]] = None) -> int:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--model", help="a trained model (.tar.gz): also score rules + model")
    args.add_argument("--set", choices=sorted(SETS), action="append", help="score only this set (repeatable)")
    args.add_argument("--misses", type=int, default=1000, help="how many misses to print per set (0: none)")
    args.add_argument("--proposed", action="store_true", help="also score the proposed read_wishes change")
    opts = args.parse_args(argv)

    names = opts.set or list(SETS)
    data = {name: SETS[name]() for name in names}
    modes: List[Tuple[str, Optional[Parser], bool]] = [("rules only", None, False)]
    if opts.proposed:
        modes.append(("rules only, proposed reader", None, True))
    if opts.model:
        parser = model_parser(opts.model)
        modes.append(("rules + model", parser, False))
        if opts.proposed:
            modes.append(("rules + model, proposed reader", parser, True))
    for label, parse, proposed in modes:
        print(f"Outcome codes, tuning sets, {label}")
        total = Score()
        for name in names:
            s = score(data[name], parse, proposed)
            report(name, s, opts.misses)
            for attr in ("tp", "fp", "fn", "exact", "n"):
                setattr(total, attr, getattr(total, attr) + getattr(s, attr))
        if len(names) > 1:
            print(f"  {'all':8s} {total.line()}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
