"""What encryption at rest costs per turn. Prints figures.

    .venv/bin/python benchmarks/encryption.py [--conversations 20] [--turns 15] [--postgres URL]

Per turn, Rasa reads the whole conversation from the tracker store
(every event decrypted) and saves the turn's new events (each encrypted).
This plays the same conversations through our tracker store twice, on fresh
databases: as it is (`StrictSQLTrackerStore`, Fernet), and with the event
data stored as plain JSON (the same class with the two seams undone: what it
did before encryption). A turn here is Rasa's: one user message, its parse
data with the intent ranking, slot events, actions and a reply with buttons.
Also the records' part: one wish written (`EncryptedText`) and read back.

p50 and p95 per turn in milliseconds, over every turn of every conversation
(turn k of a conversation reads k turns), on SQLite and, with --postgres
(or TEST_POSTGRES_URL), on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.rasa_server.tracker_store import StrictSQLTrackerStore  # noqa: E402
from bot.runner import tracker_store_endpoint  # noqa: E402
from bot.store import crypto  # noqa: E402

os.environ.setdefault("MSP_ENCRYPTION_KEYS", crypto.new_key())  # a throw-away key when none is set

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  desired_outcomes: {type: any, mappings: [{type: custom}]}
  requested_slot: {type: any, mappings: [{type: custom}]}
  danger_tier: {type: any, mappings: [{type: custom}]}
""")
INTENTS = ["inform", "affirm", "deny", "dont_know", "stop", "why", "human", "danger", "harm_not_now", "greet"]
SAID = "I want him to stop coming round and taking my pension money, it makes me scared at night"
REPLY = ("Thank you for telling me. I have written that down in your words. "
         "Is there anything else you would like to happen?")


class PlainJsonStore(StrictSQLTrackerStore):
    """The same store with the event data as plain JSON: the cost without encryption."""

    def serialise_event_data(self, data: Dict[str, Any]) -> str:
        return json.dumps(data)

    def deserialise_event_data(self, stored: str) -> Dict[str, Any]:
        return dict(json.loads(stored))


def turn_events(k: int) -> List[Any]:
    ranking = [{"name": name, "confidence": round(0.9 / (i + 1), 4)} for i, name in enumerate(INTENTS)]
    text = f"{SAID} ({k})"
    parse = {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": [],
             "response_selector": {"all_retrieval_intents": [], "default": {"response": {}, "ranking": []}}}
    return [
        UserUttered(text, ranking[0], [], parse),
        ActionExecuted("action_extract_slots"),
        SlotSet("desired_outcomes", [text]),
        SlotSet("danger_tier", "clear"),
        ActionExecuted("desired_outcomes_form"),
        SlotSet("requested_slot", "desired_outcomes"),
        BotUttered(REPLY, {"buttons": [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"},
                                       {"title": "Stop", "payload": "stop"}]}),
        ActionExecuted("action_listen"),
    ]


async def one_conversation(store: StrictSQLTrackerStore, turns: int) -> List[float]:
    sender = f"bench-{uuid.uuid4().hex}"
    first = DialogueStateTracker.from_events(sender, [ActionExecuted("action_session_start"),
                                                      SessionStarted(), ActionExecuted("action_listen")],
                                             slots=DOMAIN.slots)
    await store.save(first)
    times = []
    for k in range(turns):
        started = time.perf_counter()
        tracker = await store.retrieve(sender)
        assert tracker is not None
        for event in turn_events(k):
            tracker.update(event)
        await store.save(tracker)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def interleaved(stores: List[StrictSQLTrackerStore], conversations: int,
                      turns: int) -> List[List[float]]:
    """Each store plays a conversation in turn (who goes first alternates), so drift hits both alike."""
    for store in stores:
        await one_conversation(store, 3)  # warm up
    times: List[List[float]] = [[] for _ in stores]
    for c in range(conversations):
        order = list(range(len(stores)))[:: 1 if c % 2 == 0 else -1]
        for i in order:
            times[i] += await one_conversation(stores[i], turns)
    return times


def records_part(url: str, encrypted: bool, n: int) -> List[float]:
    """One wish written and read back, n times: the records' share of a turn."""
    column_type: Any = crypto.EncryptedText if encrypted else sa.Text
    metadata = sa.MetaData()
    table = sa.Table(f"bench_{uuid.uuid4().hex[:8]}", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("own_words", column_type, nullable=False))
    engine = sa.create_engine(url, future=True)
    metadata.create_all(engine)
    times = []
    try:
        for _ in range(n):
            started = time.perf_counter()
            with engine.begin() as conn:
                new_id = conn.execute(table.insert().values(own_words=SAID)).inserted_primary_key[0]
            with engine.connect() as conn:
                assert conn.execute(sa.select(table.c.own_words).where(table.c.id == new_id)).scalar() == SAID
            times.append((time.perf_counter() - started) * 1000)
    finally:
        metadata.drop_all(engine)
        engine.dispose()
    return times


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(label: str, make_url: Callable[[str], str], conversations: int, turns: int) -> List[Tuple]:
    stores = []
    names = ("plain JSON (before)", "encrypted (now)")
    for name, cls in zip(names, (PlainJsonStore, StrictSQLTrackerStore), strict=True):
        config = dict(tracker_store_endpoint(make_url(name)))
        config.pop("type")
        stores.append(cls(domain=DOMAIN, host=config.pop("url", None), **config))  # as Rasa's factory does
    played = asyncio.run(interleaved(stores, conversations, turns))
    rows = []
    for name, store, times in zip(names, stores, played, strict=True):
        store.engine.dispose()
        rows.append((label, f"tracker store, {name}", times))
    url = make_url("records")
    plain: List[float] = []
    encrypted: List[float] = []
    for _ in range(conversations):
        plain += records_part(url, False, turns)
        encrypted += records_part(url, True, turns)
    rows.append((label, "records: one wish written and read, plain (before)", plain))
    rows.append((label, "records: one wish written and read, encrypted (now)", encrypted))
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="an admin URL where this user may CREATE DATABASE ('' to skip PostgreSQL)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="msp-bench-enc-"))
    rows = measure("SQLite", lambda name: f"sqlite:///{tmp / (name.split()[0] + '.db')}",
                   args.conversations, args.turns)

    created: List[str] = []
    if args.postgres:
        admin = sa.create_engine(args.postgres, future=True, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError:
            print(f"(PostgreSQL at {args.postgres} does not answer: SQLite only)")
        else:
            def pg(name: str) -> str:
                db_name = f"msp_bench_enc_{uuid.uuid4().hex[:8]}"
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
                created.append(db_name)
                return str(sa.engine.make_url(args.postgres).set(database=db_name))

            try:
                rows += measure("PostgreSQL", pg, args.conversations, args.turns)
            finally:
                with admin.connect() as conn:
                    for db_name in created:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

    one = crypto.encrypt(json.dumps(turn_events(0)[0].as_dict()))
    started = time.perf_counter()
    for _ in range(2000):
        crypto.decrypt(one)
    per_event = (time.perf_counter() - started) / 2000 * 1e6
    print(f"\nEncryption at rest, per turn ({args.conversations} conversations x {args.turns} turns; "
          f"turn k reads k turns of {len(turn_events(0))} events)\n")
    print(f"{'database':<11} {'what':<52} {'p50 ms':>7} {'p95 ms':>7}")
    for label, what, times in rows:
        print(f"{label:<11} {what:<52} {pct(times, 0.5):7.2f} {pct(times, 0.95):7.2f}")
    by = {(label, what.split(",")[0].split(":")[0], "now" in what): times for label, what, times in rows}
    print()
    for label in ("SQLite", "PostgreSQL"):
        for part in ("tracker store", "records"):
            before, now = by.get((label, part, False)), by.get((label, part, True))
            if before and now:
                print(f"{label:<11} {part:<14} encryption adds p50 {pct(now, .5) - pct(before, .5):+.2f} ms, "
                      f"p95 {pct(now, .95) - pct(before, .95):+.2f} ms "
                      f"(mean {statistics.mean(now) - statistics.mean(before):+.2f} ms)")
    print(f"\nOne user event (its JSON with parse data, {len(one)} characters stored) decrypts in "
          f"{per_event:.0f} microseconds.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
