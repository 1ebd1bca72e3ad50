"""Per-turn latency, throughput and memory under concurrent conversations, against Rasa's starter bot.

    .venv/bin/python benchmarks/concurrency.py [--concurrency 20 50] [--conversations-per-worker N]
        [--only embedded pg1 pg2 starter] [--postgres URL] [--redis URL]

Prints figures; asserts nothing. Configurations, each started on free ports,
measured, and stopped before the next one starts (so they never share the CPUs):
- starter:  the bot `rasa init` makes (trained once, kept under var/bench-starter/),
            served with `rasa run --enable-api` as its own endpoints.yml says
            (no tracker store configured: in memory; no action server);
- embedded: ours, the default set-up: SQLite, one Rasa instance, in-memory lock store;
- pg1:      ours on PostgreSQL (records and conversations), Redis lock store, one instance;
- pg2:      the same with two instances, each turn sent to the next instance in turn.
Ours runs as `msp serve` runs it (tests/live.py `start_services`, without the
web app): Rasa, an action server per instance, the duty alert sender.

At each concurrency C, C worker threads (a requests.Session each) play whole
conversations back to back: an opening message, then six turns (ours: the
trusted start message, then the outcomes conversation of benchmarks/web_turns.py;
the starter: a greeting, then six turns its stories and rules answer). Latency
percentiles are over the six turns; turns/s counts every message posted
(opening included) over the wall time of the whole round. An error is a
non-200 answer, an empty reply, or no answer (timeout, connection refused).
Each stack is warmed up with two conversations first (not counted). Memory is
each process's resident set (VmRSS, with its children's if any), after the
warm-up and after each round.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channel_auth import signed_json  # noqa: E402
from bot.runner import die_with_parent  # noqa: E402
from bot.store import crypto  # noqa: E402

# Before any settings are read: the stack refuses to start without a key (a throw-away one here).
os.environ.setdefault("MSP_ENCRYPTION_KEYS", crypto.new_key())

from bot.runner import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from tests.alerts.receivers import free_port, http_receiver, smtp_sink  # noqa: E402
from tests.conftest import DEFAULT_POSTGRES_ADMIN_URL, DEFAULT_REDIS_URL, PostgresServer, RedisTarget  # noqa: E402
from tests.live import e2e_settings, free_port_run, start_services  # noqa: E402
from tests.production.conftest import production_settings  # noqa: E402

OPENING = '/start{"stage": "outcomes", "role": "person"}'
TURNS = ["yes", "yes", "no thanks", "I want him to stay away from me", "no that's all", "yes that's right"]
STARTER_OPENING = "hi"
STARTER_TURNS = ["I am sad", "yes", "are you a bot?", "hello", "I am great", "bye"]

STARTER_DIR = ROOT / "var" / "bench-starter" / "project"
RASA = ROOT / ".venv" / "bin" / "rasa"
CONFIGURATIONS = ("starter", "embedded", "pg1", "pg2")
LABELS = {
    "starter": "starter (rasa init)",
    "embedded": "embedded (SQLite, 1)",
    "pg1": "PostgreSQL, 1 inst.",
    "pg2": "PostgreSQL, 2 inst.",
}
REQUEST_TIMEOUT_S = 120.0
READY_TIMEOUT_S = 300.0
WARM_UP_CONVERSATIONS = 2


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- Memory, from /proc (psutil is not installed) -----------------------------------------------


def _children_of() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command may hold spaces and brackets
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of one process, in clock ticks (/proc/PID/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_s(pid: int) -> float:
    """CPU seconds the process and its descendants have used so far: what a turn costs, whatever else
    the machine is doing (latency depends on the load; CPU time hardly does)."""
    tree = _children_of()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _cpu_ticks(current)
        todo.extend(tree.get(current, []))
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """The resident set of the process and all its descendants, in MB."""
    tree = _children_of()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kb(current)
        todo.extend(tree.get(current, []))
    return total / 1024


# --- The stacks ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """A running configuration: where to post, what to say, which processes to weigh, how to stop."""

    urls: List[str]
    opening: str
    turns: List[str]
    opening_params: Dict[str, str]
    processes: Dict[str, int]  # name -> pid
    stop: Callable[[], None]
    note: str = ""
    # Ours takes a person's words only signed (X-MSP-Signature); the starter takes anything.
    secret: str = ""


def start_ours(settings: Settings, workdir: Path) -> Stack:
    services: Services = start_services(settings, workdir, with_web=False)
    return Stack(
        urls=list(services.rasa_urls), opening=OPENING, turns=TURNS,
        opening_params={"token": services.settings.rasa_auth_token},
        processes={name: pid for pid, name in services.names.items()}, stop=services.stop,
        secret=services.settings.web_channel_secret,
    )


def starter_model() -> Path:
    """The starter bot's model, trained once (`rasa init`) and kept under var/bench-starter/."""
    models = sorted((STARTER_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    STARTER_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    if (STARTER_DIR / "domain.yml").exists():  # made before, model missing: train again only
        command = [str(RASA), "train"]
    else:
        command = [str(RASA), "init", "--no-prompt", "--init-dir", str(STARTER_DIR)]
    print(f"Training the starter bot ({' '.join(command[1:])}) in {STARTER_DIR} ...", flush=True)
    subprocess.run(command, cwd=STARTER_DIR, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=1800)
    models = sorted((STARTER_DIR / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"rasa init made no model under {STARTER_DIR / 'models'}")
    return models[-1]


def start_starter(workdir: Path) -> Stack:
    model = starter_model()
    port = free_port()
    log = open(workdir / "starter-rasa.log", "a")  # noqa: SIM115 (lives with the child)
    process = subprocess.Popen(
        [str(RASA), "run", "--enable-api", "--interface", "127.0.0.1", "-p", str(port), "-m", "models",
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        cwd=STARTER_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=die_with_parent(),
        env=dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2"),
    )
    log.close()

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if process.poll() is not None:
            sys.stderr.write((workdir / "starter-rasa.log").read_text()[-4000:])
            raise RuntimeError(f"the starter's rasa stopped while starting (exit {process.returncode})")
        try:
            if "model_file" in requests.get(f"{url}/status", timeout=2).text:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop()
            raise RuntimeError(f"the starter's rasa not ready after {READY_TIMEOUT_S:.0f}s")
        time.sleep(1.0)
    return Stack(urls=[url], opening=STARTER_OPENING, turns=STARTER_TURNS, opening_params={},
                 processes={"rasa": process.pid}, stop=stop, note=f"model {model.name}")


# --- The load ------------------------------------------------------------------------------------


@dataclass
class Round:
    concurrency: int
    latencies: List[float] = field(default_factory=list)  # ms, the six turns of each conversation
    openings: List[float] = field(default_factory=list)  # ms, each conversation's opening message
    messages: int = 0  # posted, opening included
    errors: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    wall_s: float = 0.0
    error_example: str = ""

    @property
    def throughput(self) -> float:
        return self.messages / self.wall_s if self.wall_s else 0.0


def _play(stack: Stack, worker: int, conversations: int, start: threading.Barrier, out: Round,
          lock: threading.Lock) -> None:
    session = requests.Session()
    latencies: List[float] = []
    openings: List[float] = []
    errors: Counter = Counter()  # type: ignore[type-arg]
    example = ""
    sent = 0
    start.wait()
    for i in range(conversations):
        sender = f"bench-{uuid.uuid4().hex[:16]}"
        messages = [(stack.opening, stack.opening_params, False)] + [(t, {}, True) for t in stack.turns]
        for j, (text, params, measured) in enumerate(messages):
            # Round-robin over the instances, turn by turn (the lock store keeps a conversation in order).
            url = stack.urls[(worker + i + j) % len(stack.urls)]
            payload = {"sender": sender, "message": text}
            if params or not stack.secret:
                how: Dict[str, object] = {"params": params or None, "json": payload}
            else:  # a person's words, signed as the web app signs them
                body, headers = signed_json(payload, stack.secret)
                how = {"data": body, "headers": headers}
            began = time.perf_counter()
            sent += 1
            try:
                response = session.post(f"{url}/webhooks/rest/webhook", timeout=REQUEST_TIMEOUT_S,
                                        **how)  # type: ignore[arg-type]
            except requests.RequestException as exc:
                errors[type(exc).__name__] += 1
                example = example or f"{text!r}: {exc}"
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                errors[f"HTTP {response.status_code}"] += 1
                example = example or f"{text!r}: HTTP {response.status_code} {response.text[:200]}"
                continue
            try:
                replies = response.json()
            except ValueError:
                replies = None
            if not replies:
                errors["empty reply"] += 1
                example = example or f"{text!r}: empty reply {response.text[:200]}"
                continue
            (latencies if measured else openings).append(elapsed)
    session.close()
    with lock:
        out.latencies.extend(latencies)
        out.openings.extend(openings)
        out.errors.update(errors)
        out.messages += sent
        out.error_example = out.error_example or example


def run_round(stack: Stack, concurrency: int, conversations_per_worker: int) -> Round:
    out = Round(concurrency)
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    workers = [threading.Thread(target=_play, args=(stack, w, conversations_per_worker, start, out, lock),
                                daemon=True) for w in range(concurrency)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    out.wall_s = time.perf_counter() - began
    return out


# --- One configuration, start to stop ------------------------------------------------------------


@dataclass
class Measured:
    config: str
    rounds: Dict[int, Round] = field(default_factory=dict)
    memory: Dict[str, Dict[str, float]] = field(default_factory=dict)  # process -> moment -> MB
    cpu_ms: Dict[str, Dict[int, float]] = field(default_factory=dict)  # process -> concurrency -> ms/message
    started_s: float = 0.0
    note: str = ""
    failed: str = ""


def measure(config: str, start: Callable[[], Stack], concurrencies: Sequence[int],
            per_worker: Callable[[int], int]) -> Measured:
    result = Measured(config)
    print(f"\n[{config}] starting ...", flush=True)
    began = time.monotonic()
    try:
        stack = start()
    except Exception as exc:  # noqa: BLE001 (reported in the output, the other configurations go on)
        result.failed = f"did not start: {exc}"
        print(f"[{config}] {result.failed}", flush=True)
        return result
    result.started_s = time.monotonic() - began
    result.note = stack.note
    try:
        def weigh(moment: str) -> None:
            for name, pid in sorted(stack.processes.items()):
                result.memory.setdefault(name, {})[moment] = rss_mb(pid)

        warm = run_round(stack, WARM_UP_CONVERSATIONS, 1)
        print(f"[{config}] up in {result.started_s:.0f}s; warm-up: {warm.messages} messages, "
              f"{sum(warm.errors.values())} errors {dict(warm.errors) or ''}", flush=True)
        weigh("warm")
        for concurrency in concurrencies:
            n = per_worker(concurrency)
            before = {name: cpu_s(pid) for name, pid in stack.processes.items()}
            done = run_round(stack, concurrency, n)
            result.rounds[concurrency] = done
            for name, pid in stack.processes.items():
                used = (cpu_s(pid) - before[name]) * 1000 / max(done.messages, 1)
                result.cpu_ms.setdefault(name, {})[concurrency] = used
            weigh(str(concurrency))
            print(f"[{config}] {concurrency} concurrent x {n} conversations: {done.messages} messages in "
                  f"{done.wall_s:.1f}s, {sum(done.errors.values())} errors"
                  + (f" {dict(done.errors)}; e.g. {done.error_example}" if done.errors else ""), flush=True)
    finally:
        stack.stop()
    return result


# --- Output --------------------------------------------------------------------------------------


def _ratio(value: float, base: Optional[float]) -> str:
    return f"{value / base:6.2f}x" if base else f"{'-':>7s}"


def report(results: Dict[str, Measured], concurrencies: Sequence[int], per_worker: Callable[[int], int],
           cpus: int) -> None:
    starter = results.get("starter")
    print(f"\n\nPer-turn latency and throughput ({cpus} CPUs; the load generator runs on the same machine)")
    print("  " + "; ".join(f"{c} concurrent: {per_worker(c)} conversations per worker" for c in concurrencies)
          + f"; each conversation 1 opening + {len(TURNS)} turns")
    header = (f"  {'configuration':22s} {'conc.':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50/st.':>8s} "
              f"{'p95/st.':>8s} {'turns/s':>8s} {'errors':>7s}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for config, measured in results.items():
        if measured.failed:
            print(f"  {LABELS[config]:22s} {measured.failed}")
            continue
        for concurrency, done in measured.rounds.items():
            base = starter.rounds.get(concurrency) if starter and not starter.failed else None
            if done.latencies:
                p50, p95 = statistics.median(done.latencies), pct(done.latencies, 0.95)
                theirs = base.latencies if base else []
                b50 = statistics.median(theirs) if theirs else None
                b95 = pct(theirs, 0.95) if theirs else None
                figures = f"{p50:8.0f} {p95:8.0f} {_ratio(p50, b50):>8s} {_ratio(p95, b95):>8s}"
            else:
                figures = f"{'-':>8s} {'-':>8s} {'-':>8s} {'-':>8s}"
            print(f"  {LABELS[config]:22s} {concurrency:5d} {figures} {done.throughput:8.1f} "
                  f"{sum(done.errors.values()):7d}")
    print("  p50/st., p95/st.: ratio to the starter bot at the same concurrency, in this run. "
          "turns/s: every message posted / wall time.")

    # Where the time goes: the openings are not in the percentiles above, but each worker waits for them.
    # By Little's law, concurrency / throughput is the mean time a message takes (openings included);
    # when it is far above the turns' own mean, the openings (or waiting between messages) hold the time.
    print("\nOpenings and all messages (ms): the opening is each conversation's first message, "
          "not in the percentiles above")
    print(f"  {'configuration':22s} {'conc.':>5s} {'open p50':>9s} {'open p95':>9s} {'all p50':>8s} "
          f"{'all p95':>8s} {'p50/st.':>8s} {'p95/st.':>8s} {'all mean':>9s} {'conc./(turns/s)':>16s}")
    for config, measured in results.items():
        for concurrency, done in measured.rounds.items():
            if not done.latencies or not done.openings:
                continue
            every = done.latencies + done.openings
            base = starter.rounds.get(concurrency) if starter and not starter.failed else None
            theirs = (base.latencies + base.openings) if base else []
            little = concurrency / done.throughput * 1000 if done.throughput else 0.0
            a50, a95 = statistics.median(every), pct(every, 0.95)
            print(f"  {LABELS[config]:22s} {concurrency:5d} {statistics.median(done.openings):9.0f} "
                  f"{pct(done.openings, 0.95):9.0f} {a50:8.0f} {a95:8.0f} "
                  f"{_ratio(a50, statistics.median(theirs) if theirs else None):>8s} "
                  f"{_ratio(a95, pct(theirs, 0.95) if theirs else None):>8s} "
                  f"{statistics.mean(every):9.0f} {little:16.0f}")

    print("\nMemory: resident set per process (MB, with its children), after the warm-up and after each "
          "round")
    moments = ["warm"] + [str(c) for c in concurrencies]
    columns = " ".join(f"{('warm-up' if m == 'warm' else 'after ' + m):>9s}" for m in moments)
    print(f"  {'configuration':22s} {'process':10s} {columns}")
    for config, measured in results.items():
        if measured.failed:
            continue
        totals: Dict[str, float] = {m: 0.0 for m in moments}
        for name, by_moment in measured.memory.items():
            cells = " ".join(f"{by_moment.get(m, 0.0):9.0f}" for m in moments)
            print(f"  {LABELS[config]:22s} {name:10s} {cells}")
            for m in moments:
                totals[m] += by_moment.get(m, 0.0)
        if len(measured.memory) > 1:
            print(f"  {LABELS[config]:22s} {'(total)':10s} " + " ".join(f"{totals[m]:9.0f}" for m in moments))

    print("\nCPU per message (ms of user + system time, per process with its children; every message of the "
          "round, openings included): what a turn costs, far less moved by other load than latency")
    heads = " ".join(f"{str(c) + ' conc.':>9s}" for c in concurrencies)
    print(f"  {'configuration':22s} {'process':10s} {heads}")
    for config, measured in results.items():
        if measured.failed:
            continue
        sums: Dict[int, float] = {c: 0.0 for c in concurrencies}
        for name, by_round in measured.cpu_ms.items():
            cells = " ".join(f"{by_round.get(c, 0.0):9.1f}" for c in concurrencies)
            print(f"  {LABELS[config]:22s} {name:10s} {cells}")
            for c in concurrencies:
                sums[c] += by_round.get(c, 0.0)
        if len(measured.cpu_ms) > 1:
            cells = " ".join(f"{sums[c]:9.1f}" for c in concurrencies)
            print(f"  {LABELS[config]:22s} {'(total)':10s} {cells}")

    print("\nGoals (reported, not asserted)")
    embedded, pg1, pg2 = results.get("embedded"), results.get("pg1"), results.get("pg2")
    first = 20 if 20 in concurrencies else concurrencies[0]
    if embedded and not embedded.failed and starter and not starter.failed and first in embedded.rounds:
        ours, theirs = embedded.rounds[first].latencies, starter.rounds[first].latencies
        if ours and theirs:
            r50 = statistics.median(ours) / statistics.median(theirs)
            r95 = pct(ours, 0.95) / pct(theirs, 0.95)
            print(f"  embedded p50 and p95 <= 1.5x the starter at {first} concurrent: p50 {r50:.2f}x, "
                  f"p95 {r95:.2f}x -> {'met' if r50 <= 1.5 and r95 <= 1.5 else 'NOT met'}")
    if pg1 and pg2 and not pg1.failed and not pg2.failed:
        for concurrency in concurrencies:
            if concurrency in pg1.rounds and concurrency in pg2.rounds and pg1.rounds[concurrency].throughput:
                gain = pg2.rounds[concurrency].throughput / pg1.rounds[concurrency].throughput
                print(f"  PostgreSQL 2 instances >= 1.6x the turns/s of 1 at {concurrency} concurrent: "
                      f"{gain:.2f}x -> {'met' if gain >= 1.6 else 'NOT met'}")
        print(f"    (this machine has {cpus} CPUs, shared by both instances, their action servers, the "
              "sender, PostgreSQL, Redis and the load generator; one Rasa process keeps at most about one "
              "CPU busy, so a second instance gains only while a CPU is left over)")
    errors = sum(sum(d.errors.values()) for m in results.values() for d in m.rounds.values())
    failed = [c for c, m in results.items() if m.failed]
    print(f"  0 errors: {errors} errors in all rounds -> {'met' if errors == 0 and not failed else 'NOT met'}"
          + (f" (and {', '.join(failed)} did not start)" if failed else ""))
    for config, measured in results.items():
        if measured.note:
            print(f"  {LABELS[config]}: {measured.note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--conversations-per-worker", type=int, default=None,
                        help="conversations each worker plays per round "
                        "(default: 3 up to 20 concurrent, 2 above)")
    parser.add_argument("--only", nargs="+", choices=CONFIGURATIONS, default=list(CONFIGURATIONS))
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", "").strip()
                        or DEFAULT_POSTGRES_ADMIN_URL, help="a server where this user may CREATE DATABASE")
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "").strip() or DEFAULT_REDIS_URL)
    opts = parser.parse_args()

    def per_worker(concurrency: int) -> int:
        if opts.conversations_per_worker:
            return int(opts.conversations_per_worker)
        return 3 if concurrency <= 20 else 2

    cpus = len(os.sched_getaffinity(0))
    began = time.monotonic()
    print(f"CPUs: {cpus} (os.cpu_count() {os.cpu_count()}); load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="msp-concurrency-bench-"))
    results: Dict[str, Measured] = {}
    postgres: Optional[PostgresServer] = None
    redis = RedisTarget(url=opts.redis, prefix=f"mspbench{uuid.uuid4().hex[:10]}")  # Rasa: alphanumeric
    with ExitStack() as cleanup:
        webhook = cleanup.enter_context(http_receiver())
        mail = cleanup.enter_context(smtp_sink())
        if {"pg1", "pg2"} & set(opts.only):
            postgres = PostgresServer(opts.postgres)
            problem = postgres.answers()
            if problem:
                raise SystemExit(problem)
            cleanup.callback(postgres.drop_all)
            cleanup.callback(_forget_redis_keys, redis)

        def embedded() -> Stack:
            workdir = work / "embedded"
            settings = e2e_settings(workdir, webhook, mail)
            upgrade(settings.database_url)
            return start_ours(settings, workdir)

        def on_postgres(instances: int) -> Callable[[], Stack]:
            def start() -> Stack:
                assert postgres is not None
                workdir = work / f"pg{instances}"
                records = postgres.fresh_database(f"benchrecords{instances}")
                upgrade(records)
                tracker = postgres.fresh_database(f"benchtracker{instances}")
                settings = production_settings(workdir, webhook, mail, records, tracker, redis)
                if instances != settings.rasa_instances:
                    settings = settings.copy(update={"rasa_instances": instances,
                                                     "rasa_port": free_port_run(instances),
                                                     "actions_port": free_port_run(instances)})
                return start_ours(settings, workdir)
            return start

        starts: Dict[str, Callable[[], Stack]] = {
            "starter": lambda: start_starter(work),
            "embedded": embedded,
            "pg1": on_postgres(1),
            "pg2": on_postgres(2),
        }
        for config in CONFIGURATIONS:
            if config in opts.only:
                results[config] = measure(config, starts[config], opts.concurrency, per_worker)
    report(results, opts.concurrency, per_worker, cpus)
    print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\nTotal time {time.monotonic() - began:.0f}s; logs under {work}")
    return 0


def _forget_redis_keys(redis: RedisTarget) -> None:
    try:
        client = redis.client()
        for key in client.scan_iter(match=f"{redis.prefix}:*"):
            client.delete(key)
    except Exception as exc:  # noqa: BLE001 (clean-up only)
        print(f"could not remove the Redis keys {redis.prefix}:*: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
