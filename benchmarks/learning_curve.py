"""Does more training data still help? Prints figures; asserts nothing (`make benchmark`).

The danger classifiers and the wish classifier are trained on 25, 50, 75 and
100% of the fair training data (bot/language/training_data.py: each set cut
to that share, seeded, so every set keeps its voice), then read held-out v9,
which no reader was ever trained or tuned on:
- danger: the learned readers alone (their averaged probability), recall at
  2% and at 5% false alarms on v9's safe messages;
- wishes: micro-F1 (and precision) of the rules with the learned wish reader,
  with the thresholds `make train` chose.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language import training_data  # noqa: E402
from bot.language.embedding import embedder  # noqa: E402
from bot.language.readers import READERS_DIR, load_readers  # noqa: E402
from bot.language.train_readers import SEED, _fit_danger, _fit_wishes, _FoldReader, _micro, _p  # noqa: E402
from bot.language.wishes import _read_wishes, refine  # noqa: E402

HELD_OUT = ROOT / "tests" / "data" / "heldout_v9"
SHARES = (0.25, 0.5, 0.75, 1.0)


def recall_at(danger: np.ndarray, safe: np.ndarray, false_alarms: float) -> float:
    threshold = np.sort(safe)[::-1][int(np.floor(false_alarms * len(safe)))]
    return float((danger > threshold).mean())


def share_of(examples: Sequence, share: float) -> List:  # type: ignore[type-arg]
    """`share` of each set's examples, the same ones every run (seeded)."""
    rng = np.random.default_rng(SEED)
    by_group: Dict[str, List] = {}  # type: ignore[type-arg]
    for example in examples:
        by_group.setdefault(example.group, []).append(example)
    kept = []
    for group in sorted(by_group):
        items = by_group[group]
        order = rng.permutation(len(items))
        kept += [items[i] for i in order[: max(1, int(round(share * len(items))))]]
    return kept


def main() -> int:
    cache: Dict[str, np.ndarray] = {}

    def embed(texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, embedder().embed(missing), strict=True))
        return np.vstack([cache[t] for t in texts])

    held = yaml.safe_load((HELD_OUT / "danger.yml").read_text())
    held_danger = [item["text"] for item in held["danger"]]
    held_safe = [item["text"] for item in held["safe"]]
    held_cases = yaml.safe_load((HELD_OUT / "outcomes.yml").read_text())["cases"]
    thresholds = load_readers(READERS_DIR).manifest.get("wishes", {}).get("thresholds") or {}
    danger_all = training_data.danger_examples()
    wishes_all = training_data.wish_clauses()
    print("Learning curve: trained on a share of the training data, scored on held-out v9 "
          "(never trained or tuned on)")
    print(f"  {'share':>5}  {'danger examples':>15}  {'recall @2% FA':>13}  {'recall @5% FA':>13}  "
          f"{'wish clauses':>12}  {'wish F1 (precision)':>19}  {'seconds':>7}")
    for share in SHARES:
        began = time.perf_counter()
        chosen = share_of(danger_all, share)
        texts = [e.text for e in chosen]
        model = _fit_danger(texts, embed(texts), np.array([int(e.danger) for e in chosen]))
        p_danger = _p(model, held_danger, embed(held_danger))
        p_safe = _p(model, held_safe, embed(held_safe))
        clauses = share_of(wishes_all, share)
        fold = _FoldReader(_fit_wishes(clauses, embed), embed, thresholds)
        pairs = [(set(refine(c_["text"], _read_wishes(c_["text"]), fold).codes), set(c_["codes"] or []))
                 for c_ in held_cases]
        precision, _, f1 = _micro(pairs)
        print(f"  {share:>5.0%}  {len(chosen):>15}  {recall_at(p_danger, p_safe, 0.02):>13.3f}  "
              f"{recall_at(p_danger, p_safe, 0.05):>13.3f}  {len(clauses):>12}  "
              f"{f1:>11.3f} ({precision:.3f})  {time.perf_counter() - began:>7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
