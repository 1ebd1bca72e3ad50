"""Key rotation: re-encrypt every stored secret under the newest key, in batches, resumably.

How a key is rotated (README, "Changing the encryption key"):

1. `msp rotate-key --new-key` puts a fresh key first in MSP_ENCRYPTION_KEYS
   (the old ones stay after it, so everything is still read).
2. Restart the services: from now on they write under the new key.
3. `msp rotate-key` re-encrypts what is stored under an older key (and any
   value from before encryption), batch by batch, each batch its own
   transaction. Stopped half way, it is run again and carries on: a value
   already under the newest key is left as it is.
4. When it says nothing is left, `msp rotate-key --forget-old-keys` keeps
   only the newest key in .env; restart the services again.

The columns are read and written as stored text (not through EncryptedText),
so a value is decrypted and encrypted once, and never held longer than its batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot.store import crypto, events

# (table, id column, secret column): what holds the person's words, or the key check.
RECORD_COLUMNS: Tuple[Tuple[str, str, str], ...] = (
    ("outcomes", "id", "own_words"),
    ("checkins", "id", "comment"),
    ("conversations", "id", "comments"),
    ("conversations", "id", "contact_when"),
    ("conversations", "id", "contact_number"),
    ("conversations", "id", "contact_if_missed"),
    ("key_check", "id", "canary"),
)
TRACKER_COLUMNS: Tuple[Tuple[str, str, str], ...] = events.ROTATED  # Rasa's events table (store/events.py)

DEFAULT_BATCH = 500


@dataclass
class ColumnResult:
    where: str
    examined: int = 0
    rewritten: int = 0


@dataclass
class RotationResult:
    columns: List[ColumnResult] = field(default_factory=list)

    @property
    def rewritten(self) -> int:
        return sum(c.rewritten for c in self.columns)

    @property
    def examined(self) -> int:
        return sum(c.examined for c in self.columns)


def rotated(value: Optional[str], keys: Sequence[str]) -> Optional[str]:
    """The value under the newest key, or None when it already is (or is empty)."""
    if value is None or value == "":
        return None
    if crypto.is_encrypted(value):
        token = value[len(crypto.PREFIX):].encode("ascii")
        try:
            crypto._fernet(tuple(keys[:1])).decrypt(token)
            return None  # already under the newest key
        except InvalidToken:
            pass
    return crypto.encrypt(crypto.decrypt(value, keys), keys)


def _table(table: str, id_col: str, col: str) -> Any:
    """A lightweight Core table: names quoted by SQLAlchemy, values always bound."""
    return sa.table(table, sa.column(id_col), sa.column(col))


def _batches(connection: Any, table: str, id_col: str, col: str, size: int) -> Iterator[List[Any]]:
    t = _table(table, id_col, col)
    last = None
    while True:
        query = sa.select(t.c[id_col], t.c[col]).order_by(t.c[id_col]).limit(size)
        if last is not None:
            query = query.where(t.c[id_col] > last)
        rows = connection.execute(query).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate_columns(
    engine: Any,
    columns: Sequence[Tuple[str, str, str]],
    keys: Sequence[str],
    batch: int = DEFAULT_BATCH,
    progress: Optional[Callable[[ColumnResult], None]] = None,
) -> List[ColumnResult]:
    """Re-encrypt the columns under keys[0], one transaction per batch."""
    crypto._fernet(tuple(keys))  # malformed keys: say so before touching anything
    present = set(sa.inspect(engine).get_table_names())
    results = []
    for table, id_col, col in columns:
        result = ColumnResult(f"{table}.{col}")
        results.append(result)
        if table not in present:
            continue
        with engine.connect() as reader:
            for rows in _batches(reader, table, id_col, col, batch):
                changes: Dict[Any, str] = {}
                for row_id, value in rows:
                    new = rotated(value, keys)
                    if new is not None:
                        changes[row_id] = new
                if changes:
                    with engine.begin() as writer:
                        t = _table(table, id_col, col)
                        update = sa.update(t).where(t.c[id_col] == sa.bindparam("i"))
                        writer.execute(
                            update.values({col: sa.bindparam("v")}),
                            [{"v": v, "i": i} for i, v in changes.items()],
                        )
                result.examined += len(rows)
                result.rewritten += len(changes)
                if progress:
                    progress(result)
    return results


def left_under_old_keys(engine: Any, columns: Sequence[Tuple[str, str, str]], keys: Sequence[str]) -> int:
    """How many stored values are not yet under the newest key (plain ones count)."""
    present = set(sa.inspect(engine).get_table_names())
    left = 0
    for table, id_col, col in columns:
        if table not in present:
            continue
        with engine.connect() as reader:
            for rows in _batches(reader, table, id_col, col, DEFAULT_BATCH):
                left += sum(1 for _, value in rows if value and not crypto.under_newest_key(value, keys))
    return left


def rotate_all(
    records_engine: Any,
    tracker_engine: Optional[Any],
    keys: Sequence[str],
    batch: int = DEFAULT_BATCH,
    progress: Optional[Callable[[ColumnResult], None]] = None,
) -> RotationResult:
    result = RotationResult()
    result.columns += rotate_columns(records_engine, RECORD_COLUMNS, keys, batch, progress)
    if tracker_engine is not None:
        result.columns += rotate_columns(tracker_engine, TRACKER_COLUMNS, keys, batch, progress)
    return result


def left_in_all(records_engine: Any, tracker_engine: Optional[Any], keys: Sequence[str]) -> int:
    left = left_under_old_keys(records_engine, RECORD_COLUMNS, keys)
    if tracker_engine is not None:
        left += left_under_old_keys(tracker_engine, TRACKER_COLUMNS, keys)
    return left
