"""What the learned readers cost per message, and in memory. Prints figures; asserts nothing.

One message at a time, as a turn reads it: the rules, then the learned danger
reader (its words and meaning, the kind), then the wish reader on the
message's clauses, then the answer reader (as at "are you safe?"); each message is new to the
process (the answer reader reuses the message's vector, as in a turn). The
process's resident memory is read before the readers load and after.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path
from typing import List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.language.danger import assess_danger  # noqa: E402
from bot.language.readers import READERS_DIR, load_readers  # noqa: E402
from bot.language.wishes import answer_clauses  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * len(ordered))) - 1)]


def main() -> int:
    data = yaml.safe_load((ROOT / "tests" / "data" / "heldout_v7" / "danger.yml").read_text())
    texts = [item["text"] for item in data["danger"] + data["safe"]]
    assess_danger("warm the rules up")
    before = rss_mb()
    began = time.perf_counter()
    readers = load_readers(READERS_DIR)
    readers.danger_score("warm the session up")
    loaded = time.perf_counter() - began
    after = rss_mb()
    rules, danger, wishes, whole, answers, at_safety = [], [], [], [], [], []
    for text in texts:
        t0 = time.perf_counter()
        assess_danger(text + " ")  # a new text for the rules' cache too
        t1 = time.perf_counter()
        readers.danger_score(text)
        t2 = time.perf_counter()
        readers.wish_p(answer_clauses(text))
        t3 = time.perf_counter()
        readers.answer_p("now", text)  # at "are you safe?": the same message's vector, already made
        t4 = time.perf_counter()
        rules.append(t1 - t0)
        danger.append(t2 - t1)
        wishes.append(t3 - t2)
        whole.append(t3 - t1)
        answers.append(t4 - t3)
        at_safety.append((t2 - t1) + (t4 - t3))
    print(f"Learned readers {readers.version}: loaded in {loaded:.2f} s; resident memory "
          f"{before:.0f} MB before, {after:.0f} MB after (+{after - before:.0f} MB)")
    print(f"One message at a time, {len(texts)} messages of held-out v7:")
    rows = (("rules (danger)", rules), ("learned danger reader (with its kind)", danger),
            ("learned wish reader (its clauses)", wishes), ("learned answer reader", answers),
            ("added at the wishes question", whole), ("added at a safety question", at_safety))
    for label, values in rows:
        print(f"  {label:40s} p50 {statistics.median(values) * 1000:6.1f} ms   "
              f"p95 {percentile(values, 0.95) * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
