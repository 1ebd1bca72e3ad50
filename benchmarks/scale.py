"""How `msp report`, `msp export` and the workspace's list behave at 20,000 and 100,000 enquiries.

The report's figures are also timed in one process, without its start-up:
the SG4a figures (`compute_report_between`) and the board's (feedback by
quarter and wishes achieved by code, `compute_board_between`), median of 3.

For each size, a fresh SQLite file (and, with --postgres, a fresh PostgreSQL
database) is filled by `msp seed-demo`. Then each measurement runs in its
own child process: the time is the wall clock around it, and the peak memory
is that child's `ru_maxrss`, read by a small wrapper process of its own with
`getrusage(RUSAGE_CHILDREN)` (which only ever has that one child, so the
figure is exactly the command's).

    .venv/bin/python benchmarks/scale.py                       # 20,000 and 100,000 on SQLite
    .venv/bin/python benchmarks/scale.py --sizes 2000          # a quick look
    .venv/bin/python benchmarks/scale.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/scale.py --code /tmp/old-checkout   # the same, with another checkout's msp

`--code` runs `msp report` and `msp export` from another checkout (say the
code before the report was rewritten), on databases seeded by this one; the
list is then measured only when that checkout has `bot.store.workspace`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
# figure: (words, the size it applies to or None for every size, the most it may be)
GOALS = {
    "report_s": ("report <= 1 s at 20,000", 20_000, 1.0),
    "export_mb": ("export peak <= 150 MB at either size", None, 150.0),
    "list_ms": ("list page <= 300 ms at 100,000", 100_000, 300.0),
    "board_ms": ("board figures <= 1 s at 100,000", 100_000, 1000.0),
}

LIST_SNIPPET = """
import json, statistics, sys, time
from bot.store import workspace
kwargs = json.loads(sys.argv[1])
times = []
for _ in range(5):
    start = time.perf_counter()
    page = workspace.list_enquiries(**kwargs)
    times.append(time.perf_counter() - start)
print(json.dumps({"ms": statistics.median(times) * 1000, "total": page.total, "rows": len(page.items)}))
"""

FIGURES_SNIPPET = """
import json, statistics, time
from bot.report.board import compute_board_between
from bot.report.compute import compute_report_between
found = {}
for key, compute in (("sg4a_ms", compute_report_between), ("board_ms", compute_board_between)):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        compute()
        times.append(time.perf_counter() - start)
    found[key] = statistics.median(times) * 1000
print(json.dumps(found))
"""


def measure(command: List[str], env: Dict[str, str], cwd: Path) -> Dict[str, Any]:
    """Run `command` in a wrapper process of its own; its time, its peak memory, what it printed."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--measure-child", "--", *command]
    done = subprocess.run(wrapper, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(lines[-1]))


def _measure_child(command: List[str]) -> int:
    """The wrapper: run the command once, stdout to /dev/null unless it is ours to read."""
    keep = command[:1] == [sys.executable] and "-c" in command
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE if keep else subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return done.returncode
    result: Dict[str, Any] = {"s": seconds, "mb": peak_kb / 1024}
    if keep:
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps(result))
    return 0


def _env(database_url: str, code: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "PYTHONPATH": str(code), "TQDM_DISABLE": "1"})
    return env


def run_size(size: int, database_url: str, code: Path, seed: int) -> Dict[str, Any]:
    msp = [sys.executable, "-m", "bot.cli"]
    here = _env(database_url, ROOT)
    there = _env(database_url, code)
    row: Dict[str, Any] = {"size": size}
    print(f"  seeding {size:,} enquiries ...", file=sys.stderr, flush=True)
    seeding = [*msp, "seed-demo", "--enquiries", str(size), "--seed", str(seed)]
    row["seed_s"] = measure(seeding, here, ROOT)["s"]
    print("  msp report ...", file=sys.stderr, flush=True)
    report = measure([*msp, "report"], there, code)
    row.update(report_s=report["s"], report_mb=report["mb"])
    print("  msp export --format json ...", file=sys.stderr, flush=True)
    export = measure([*msp, "export", "--format", "json"], there, code)
    row.update(export_s=export["s"], export_mb=export["mb"])
    if (code / "bot" / "store" / "workspace.py").exists():
        print("  list_enquiries ...", file=sys.stderr, flush=True)
        for key, kwargs in (("list_ms", {}), ("search_ms", {"search": "demo-0009"}),
                            ("flag_ms", {"flag": "urgent_safety"})):
            found = measure([sys.executable, "-c", LIST_SNIPPET, json.dumps(kwargs)], there, code)
            row[key] = found["ms"]
    if (code / "bot" / "report" / "board.py").exists():
        print("  the report's figures in one process ...", file=sys.stderr, flush=True)
        found = measure([sys.executable, "-c", FIGURES_SNIPPET], there, code)
        row.update(sg4a_ms=found["sg4a_ms"], board_ms=found["board_ms"])
    return row


def _postgres_database(admin_url: str, size: int) -> tuple:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    name = f"msp_scale_{size}_{uuid.uuid4().hex[:8]}"
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quoted}"))  # an identifier cannot be a bound parameter

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _cell(row: Dict[str, Any], key: str, fmt: str) -> str:
    value: Optional[float] = row.get(key)
    if value is None:
        return "n/a"
    mark = ""
    if key in GOALS and GOALS[key][1] in (None, row["size"]):
        mark = " ok" if value <= GOALS[key][2] else " MISS"
    return format(value, fmt) + mark


def print_table(title: str, rows: List[Dict[str, Any]]) -> None:
    heads = ("enquiries", "seed s", "report s", "report MB", "export s", "export MB", "list ms",
             "search ms", "flag ms", "sg4a ms", "board ms")
    keys = ("size", "seed_s", "report_s", "report_mb", "export_s", "export_mb", "list_ms", "search_ms",
            "flag_ms", "sg4a_ms", "board_ms")
    fmts = (",d", ".1f", ".2f", ".0f", ".1f", ".0f", ".1f", ".1f", ".1f", ".0f", ".0f")
    table = [[_cell(r, k, f) if k != "size" else format(r["size"], ",d")
              for k, f in zip(keys, fmts, strict=True)] for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(heads)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True)))
    for t in table:
        print("  ".join(v.rjust(w) for v, w in zip(t, widths, strict=True)))
    print("Goals: " + "; ".join(words for words, _, _ in GOALS.values())
          + ". list/search/flag: median of 5 calls for the first page (25 rows); "
          "sg4a/board: the report's figures in one process, median of 3.")


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--measure-child"]:
        return _measure_child(argv[2:] if argv[1:2] == ["--"] else argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[20_000, 100_000])
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server where a database may be created")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose msp report/export to measure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the SQLite files in this folder")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    label = "" if code == ROOT else f" (msp report/export from {code})"

    with tempfile.TemporaryDirectory(prefix="msp-scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for size in args.sizes:
            path = folder / f"scale-{size}.db"
            for leftover in folder.glob(f"scale-{size}.db*"):
                leftover.unlink()
            print(f"SQLite, {size:,} enquiries: {path}", file=sys.stderr)
            rows.append(run_size(size, f"sqlite:///{path}", code, args.seed))
        print_table(f"SQLite{label}", rows)

    if args.postgres:
        rows = []
        for size in args.sizes:
            url, drop = _postgres_database(args.postgres, size)
            print(f"PostgreSQL, {size:,} enquiries", file=sys.stderr)
            try:
                rows.append(run_size(size, url, code, args.seed))
            finally:
                drop()
        print_table(f"PostgreSQL{label}", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
