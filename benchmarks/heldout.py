"""Scores of the language layer on the held-out sets. Prints figures; asserts nothing.

    make benchmark                      # or: .venv/bin/python benchmarks/heldout.py
    .venv/bin/python benchmarks/heldout.py --misses     # also list what was missed

Sets (each written by an author who never saw the rules or the other sets,
and measured once before any tuning on it; first figures in results/):
- held-out v9 (tests/data/heldout_v9/: danger with its kind, safe, wishes):
  written before the readers' second round (more data, the answer reader),
  never trained or tuned on. The figures to trust.
- held-out v8 (tests/data/heldout_v8/): written before the readers were
  tuned on v7; measured before and after that, never trained on.
- held-out v7 (tests/data/heldout_v7/): written before the learned readers,
  measured before and after them (results/), training data since.
- held-out v6 (tests/data/heldout_v6/, danger only): measured once
  (results/), training data since v7.
- held-out v5 (tests/data/heldout_v5/): its outcomes were never tuned on (the
  outcome figures to trust); its danger part was measured once, then tuned on.
- held-out v4 (tests/data/heldout_v4/, danger only): measured once
  (results/), tuned on since: training data now.
- held-out v3 (tests/data/heldout_v3/): its answers were never tuned on (the
  figures to trust for those); its danger and outcomes parts were, after
  their first measurement.
- held-out v2 (tests/data/heldout_v2/): measured once before any tuning on it
  (results/heldout-v2-first-measurement.txt), then tuned on: training data now.
- held-out v1 (tests/data/*_heldout.yml): tuned on since, so training data too.

Danger is scored three ways: the rules alone, the model alone (its `danger`
intent), and the running decision (`bot.language.danger.decide`, what the
assistant does). A danger message counts as caught when it gets the help at
once (clear) or the gentle "Are you safe right now?" (possible): a person in
danger answers that No or Not sure, which raises the flag. On safe messages,
the help is a false alarm, and a gentle check is counted on its own line.
Outcomes: micro precision, recall and F1 over codes, as `read_wishes` reads
them (rules alone, and rules then the model's confident intent). Answers:
accuracy of the closed-question recognisers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language.answers import recognise_answer  # noqa: E402
from bot.language.danger import (  # noqa: E402
    CLEAR,
    DANGER_INTENT,
    MODEL_UNSURE,
    NONE,
    POSSIBLE,
    REVIEW,
    assess_danger,
    decide,
)
from bot.language.wishes import read_wishes  # noqa: E402

DATA = ROOT / "tests" / "data"
Parse = Callable[[str], Tuple[Optional[str], float]]
Decider = Callable[[str], str]

SETS = {
    "v9": ("held-out v9, never trained or tuned on", DATA / "heldout_v9" / "danger.yml",
           DATA / "heldout_v9" / "outcomes.yml", None),
    "v8": ("held-out v8, measured before and after the readers' first round, training data since",
           DATA / "heldout_v8" / "danger.yml",
           DATA / "heldout_v8" / "outcomes.yml", None),
    "v7": ("held-out v7, measured before and after the learned readers, training data since",
           DATA / "heldout_v7" / "danger.yml", DATA / "heldout_v7" / "outcomes.yml", None),
    "v6": ("held-out v6 (danger only), measured once, training data since v7",
           DATA / "heldout_v6" / "danger.yml", None, None),
    "v5": ("held-out v5: outcomes never tuned on; danger measured once, tuned on since",
           DATA / "heldout_v5" / "danger.yml", DATA / "heldout_v5" / "outcomes.yml", None),
    "v4": ("held-out v4 (danger only), measured once, tuned on since", DATA / "heldout_v4" / "danger.yml",
           None, None),
    "v3": ("held-out v3: answers never tuned on; danger and outcomes measured once, tuned on since",
           DATA / "heldout_v3" / "danger.yml", DATA / "heldout_v3" / "outcomes.yml",
           DATA / "heldout_v3" / "answers.yml"),
    "v2": ("held-out v2, measured once, tuned on since (training data now)",
           DATA / "heldout_v2" / "danger.yml", DATA / "heldout_v2" / "outcomes.yml",
           DATA / "heldout_v2" / "answers.yml"),
    "v1": ("held-out v1, tuned on since (training data now)", DATA / "danger_heldout.yml",
           DATA / "outcomes_heldout.yml", DATA / "answers_heldout.yml"),
}
# Answer kinds whose recogniser is shared with another question.
KIND_OF = {"safety_check": "safe"}


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text())


def model_parser() -> Optional[Parse]:
    model = ROOT / "models" / "msp.tar.gz"
    if not model.exists():
        return None
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger().setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    cache: Dict[str, Tuple[Optional[str], float]] = {}

    def parse(text: str) -> Tuple[Optional[str], float]:
        if text not in cache:
            result = asyncio.run(agent.parse_message(text))
            intent = result.get("intent") or {}
            cache[text] = (intent.get("name"), float(intent.get("confidence") or 0.0))
        return cache[text]

    return parse


def _items(data: dict, key: str, label: str = "type") -> List[Tuple[str, str]]:  # type: ignore[type-arg]
    """(text, type) pairs from either set's layout (v7's danger also names its danger_kind)."""
    out = []
    for item in data[key]:
        if isinstance(item, dict):
            out.append((item["text"], item.get(label) or item.get("type", "")))
        else:
            out.append((str(item), ""))
    return out


def score_danger(label: str, danger: Sequence[Tuple[str, str]], safe: Sequence[Tuple[str, str]],
                 decides: Decider, show_misses: bool) -> None:
    levels = [decides(t) for t, _ in danger]
    safe_levels = [decides(t) for t, _ in safe]
    caught = sum(level != NONE for level in levels)
    by_check = sum(level == POSSIBLE for level in levels)
    alarms = sum(level == CLEAR for level in safe_levels)
    checks = sum(level == POSSIBLE for level in safe_levels)
    n, m = len(danger), len(safe)
    print(f"  {label:34s} recall {caught / n:.3f} ({caught}/{n}, {by_check} by the check)   "
          f"false alarms {alarms / m:.3f} ({alarms}/{m})   checks on safe {checks / m:.3f} ({checks}/{m})")
    if show_misses:
        for (text, kind), level in zip(danger, levels, strict=True):
            if level == NONE:
                print(f"      missed [{kind}] {text!r}")
        for (text, kind), level in zip(safe, safe_levels, strict=True):
            if level == CLEAR:
                print(f"      false alarm [{kind}] {text!r}")


def danger_by_type(danger: Sequence[Tuple[str, str]], decides: Decider) -> None:
    per: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for text, kind in danger:
        per[kind][1] += 1
        per[kind][0] += decides(text) != NONE
    print("    caught by type: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in sorted(per.items())))


def learned_readers(path: Optional[Path] = None) -> Any:
    """The learned readers `make train` wrote, or None (then the figures are the rules' and the model's)."""
    from bot.language.readers import READERS_DIR, ReadersProblem, load_readers

    try:
        return load_readers(path or READERS_DIR)
    except ReadersProblem as problem:
        print(f"(no learned readers: {problem})\n")
        return None


def score_outcomes(cases: Sequence[dict], parse: Optional[Parse],  # type: ignore[type-arg]
                   learned: Any = None) -> Dict[str, object]:
    tp = fp = fn = exact = 0
    misses: List[str] = []
    for case in cases:
        intent, confidence = parse(case["text"]) if parse else (None, 0.0)
        got: Set[str] = set(read_wishes(case["text"], intent, confidence, learned=learned).codes)
        want: Set[str] = set(case["codes"] or [])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        if got == want:
            exact += 1
        else:
            misses.append(f"      {case['text'][:90]!r}: got {sorted(got)} want {sorted(want)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "exact": exact / len(cases), "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules-only", action="store_true", help="skip the trained model")
    parser.add_argument("--misses", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument("--readers", type=Path, default=None,
                        help="the learned readers to load (default models/readers, from `make train`)")
    opts = parser.parse_args()
    parse = None if opts.rules_only else model_parser()
    if parse is None and not opts.rules_only:
        print("(no trained model: run `make train` for the model and combined figures)\n")

    def rules(text: str) -> str:
        return assess_danger(text).level

    def model(text: str) -> str:
        assert parse is not None
        intent, confidence = parse(text)
        return POSSIBLE if intent == DANGER_INTENT and confidence >= MODEL_UNSURE else NONE

    learned = None if opts.rules_only else learned_readers(opts.readers)

    def running(text: str) -> str:
        """What the assistant does: the help (clear) or the gentle check (possible); review is neither."""
        intent, confidence = parse(text) if parse else (None, 0.0)
        score = learned.danger_score(text) if learned is not None else None
        level = decide(assess_danger(text), intent, confidence, score)
        return NONE if level == REVIEW else level

    def readers_alone(text: str) -> str:
        assert learned is not None
        tier = learned.danger_score(text).tier
        return {REVIEW: NONE}.get(tier, tier)

    def marked(text: str) -> str:
        """Any tier at all, review included: the message is seen by a person."""
        intent, confidence = parse(text) if parse else (None, 0.0)
        score = learned.danger_score(text) if learned is not None else None
        return POSSIBLE if decide(assess_danger(text), intent, confidence, score) != NONE else NONE

    for key in (tuple(k for k in SETS if SETS[k][1].exists()) if opts.set == "all" else (opts.set,)):
        title, danger_file, outcomes_file, answers_file = SETS[key]
        print(f"== {title} ==")
        data = load(danger_file)
        danger, safe = _items(data, "danger"), _items(data, "safe")
        print(f"Danger ({len(danger)} danger, {len(safe)} safe messages)")
        started = time.perf_counter()
        score_danger("rules alone", danger, safe, rules, False)
        took = (time.perf_counter() - started) / (len(danger) + len(safe)) * 1000
        if parse is not None:
            score_danger(f"model alone (danger >= {MODEL_UNSURE})", danger, safe, model, False)
        if learned is not None:
            score_danger("learned readers alone", danger, safe, readers_alone, False)
        score_danger("running decision (what the assistant does)", danger, safe, running, opts.misses)
        if learned is not None:
            score_danger("marked at any tier (review counted)", danger, safe, marked, False)
        if key == "v6":
            danger_by_type(danger, running)
        if key in ("v7", "v8", "v9"):
            danger_by_type(_items(data, "danger", "danger_kind"), running)
            if learned is not None:
                kinds = _items(data, "danger", "danger_kind")
                right = sum(learned.danger_score(t).kind == k for t, k in kinds)
                print(f"    kind named right (the help that fits): {right}/{len(kinds)} "
                      f"= {right / len(kinds):.3f}")
        print(f"    rules: {took:.1f} ms per message")
        if outcomes_file is None:
            print()
            continue

        cases = load(outcomes_file)["cases"]
        print(f"Outcomes ({len(cases)} whole answers to 'what would you like to happen?')")
        modes: List[Tuple[str, Optional[Parse], Any]] = [("rules alone", None, None)]
        if parse is not None:
            modes.append(("rules, then the model (read_wishes)", parse, None))
        if learned is not None:
            modes.append(("with the learned wish reader", parse, learned))
        for label, mode_parse, mode_learned in modes:
            s = score_outcomes(cases, mode_parse, mode_learned)
            print(f"  {label:38s} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
                  f"micro-F1 {s['f1']:.3f}  exact set {s['exact']:.3f}")
            if opts.misses and mode_learned is not None:
                for line in s["misses"]:  # type: ignore[attr-defined]
                    print(line)

        if answers_file is None:
            print()
            continue
        answers = load(answers_file)
        total = right = 0
        parts = []
        wrong: List[str] = []
        for kind, pairs in answers.items():
            ok = 0
            for text, want in pairs:
                got = recognise_answer(text, KIND_OF.get(kind, kind))
                ok += got == want
                if got != want:
                    wrong.append(f"      [{kind}] {text!r}: got {got} want {want}")
            total += len(pairs)
            right += ok
            parts.append(f"{kind} {ok}/{len(pairs)}")
        print(f"Answer recognisers: {right}/{total} = {right / total:.3f}  ({', '.join(parts)})")
        if opts.misses:
            print("\n".join(wrong))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
