"""The start check: a missing or wrong encryption key is found before anyone talks.

Each process that reads or writes people's words runs it at start: `msp serve`
and the web app (`check_keys`), the action server (`check_records`) and each
Rasa instance's tracker store (`check_tracker`). The records database holds a
small canary row (`KeyCheck`), written under the newest key when missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bot.store import events
from bot.store.crypto import PREFIX, EncryptionKeyProblem, decrypt, encrypt, usable_keys
from bot.store.db import get_engine
from bot.store.models import KeyCheck

CANARY = "msp-encryption-canary"


def check_records(engine: Any) -> None:
    """The records database: the canary row opens (it is written, under the newest key, if missing),
    and so does a stored wish, if there is one."""
    keys = usable_keys()  # no key, or a malformed one: say so now
    with engine.begin() as connection:
        row = connection.execute(select(KeyCheck.id, KeyCheck.canary).limit(1)).first()
        if row is None:
            connection.execute(KeyCheck.__table__.insert().values(canary=encrypt(CANARY, keys)))
        elif decrypt(row.canary, keys) != CANARY:
            raise EncryptionKeyProblem("the key check row does not read back: MSP_ENCRYPTION_KEYS is wrong")
        sample = connection.execute(
            text("SELECT own_words FROM outcomes WHERE own_words LIKE :p LIMIT 1"), {"p": PREFIX + "%"}
        ).scalar()
        decrypt(sample, keys)


def check_tracker(engine: Any) -> None:
    """Rasa's tracker store: one encrypted event opens with the keys (when there is one)."""
    keys = usable_keys()
    decrypt(events.newest_with_prefix(engine, PREFIX), keys)


def check_keys(settings: Any) -> None:
    """The encryption keys read what the records and the conversations hold (or the canary is written)."""
    check_records(get_engine(settings.database_url))
    tracker = settings.tracker_store_url
    if tracker.startswith("sqlite:///") and not Path(tracker[len("sqlite:///"):]).exists():
        return  # no conversation yet
    check_tracker(get_engine(tracker))
