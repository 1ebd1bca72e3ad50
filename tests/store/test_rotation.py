"""Key rotation on SQLite and PostgreSQL: after `rotate`, the old key is removed and everything still reads.

Stopped half way, it carries on where it stopped. Values from before
encryption (plain, as the tracker events from `tests.privacy_data` are) are
encrypted by it. The command says what it did and is in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest
import sqlalchemy as sa

from bot.cli import keys as cli_keys
from bot.cli import main as cli
from bot.settings.env_file import replace_env_value
from bot.store import audit, crypto, records, rotation
from bot.store.db import get_engine
from bot.store.key_check import check_records, check_tracker
from bot.store.transcripts import read_transcript
from tests.privacy_data import make_enquiry
from tests.store.conftest import Stores

OLD = crypto.new_key()
NEW = crypto.new_key()


@pytest.fixture
def keyed(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Stores:
    """Both stores, the `msp` commands pointed at them, and the canary written under the old key."""
    monkeypatch.setenv("MSP_ENCRYPTION_KEYS", OLD)
    monkeypatch.setenv("DATABASE_URL", stores.records_url)
    monkeypatch.setenv("TRACKER_STORE_URL", stores.tracker_url)
    check_records(get_engine(stores.records_url))
    return stores


def stored(url: str, table: str, column: str) -> List[str]:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        values = [v for (v,) in conn.execute(sa.text(f"SELECT {column} FROM {table} ORDER BY id")) if v]
    engine.dispose()
    return values


def everything_stored(s: Stores) -> List[str]:
    return (stored(s.records_url, "outcomes", "own_words") + stored(s.records_url, "conversations", "comments")
            + sum((stored(s.records_url, "conversations", col)
                   for col in ("contact_when", "contact_number", "contact_if_missed")), [])
            + stored(s.records_url, "key_check", "canary") + stored(s.tracker_url, "events", "data"))


def test_after_rotation_the_old_key_can_go_and_everything_still_reads(
        keyed: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_enquiry(keyed.tracker_url, "a"), make_enquiry(keyed.tracker_url, "b")
    before = records.export_records()
    transcript = read_transcript(keyed.tracker_url, first.outcomes_id)
    assert all(not crypto.is_encrypted(d) for d in stored(keyed.tracker_url, "events", "data")), \
        "the tracker rows start plain, as before encryption"

    monkeypatch.setenv("MSP_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    # Stopped after its first batch (a crash, a ^C): what was done is kept ...
    with pytest.raises(KeyboardInterrupt):
        def stop(_: Any) -> None:
            raise KeyboardInterrupt
        rotation.rotate_all(get_engine(keyed.records_url), get_engine(keyed.tracker_url), [NEW, OLD],
                            batch=2, progress=stop)
    left = rotation.left_in_all(get_engine(keyed.records_url), get_engine(keyed.tracker_url), [NEW, OLD])
    total = len(everything_stored(keyed))
    assert 0 < left == total - 2, "one batch of two was rewritten, and committed"
    # ... and run again, it carries on: nothing is rewritten twice.
    result = rotation.rotate_all(get_engine(keyed.records_url), get_engine(keyed.tracker_url), [NEW, OLD],
                                 batch=2)
    assert result.rewritten == left and result.examined >= total  # rows with no comment are looked at too
    assert rotation.left_in_all(get_engine(keyed.records_url), get_engine(keyed.tracker_url), [NEW, OLD]) == 0
    again = rotation.rotate_all(get_engine(keyed.records_url), get_engine(keyed.tracker_url), [NEW, OLD])
    assert again.rewritten == 0

    # The old key is gone: everything opens with the new one alone, and nothing with the old one.
    monkeypatch.setenv("MSP_ENCRYPTION_KEYS", NEW)
    raw = everything_stored(keyed)
    assert all(crypto.is_encrypted(v) for v in raw)
    assert all(crypto.decrypt(v, [NEW]) is not None for v in raw)
    for value in raw:
        with pytest.raises(crypto.EncryptionKeyProblem):
            crypto.decrypt(value, [OLD])
    assert not any(word in " ".join(raw) for word in first.words + second.words)
    assert records.export_records() == before
    assert read_transcript(keyed.tracker_url, first.outcomes_id) == transcript
    check_records(get_engine(keyed.records_url))
    check_tracker(get_engine(keyed.tracker_url))


def test_with_only_the_new_key_and_no_rotation_the_start_check_stops(
        keyed: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    make_enquiry(keyed.tracker_url, "c")
    monkeypatch.setenv("MSP_ENCRYPTION_KEYS", NEW)
    with pytest.raises(crypto.EncryptionKeyProblem):
        check_records(get_engine(keyed.records_url))
    assert cli.main(["export"]) == 3, "a clear stop (exit 3), not a traceback"


def test_the_command_walks_the_whole_rotation_in_dot_env(
        keyed: Stores, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    enquiry = make_enquiry(keyed.tracker_url, "d")
    before = records.export_records(enquiry_ref=enquiry.ref)
    env_file = tmp_path / ".env"
    env_file.write_text(f"COUNCIL_NAME=Testshire\nMSP_ENCRYPTION_KEYS={OLD}\n")
    monkeypatch.setattr(cli_keys, "replace_env_value",
                        lambda name, value: replace_env_value(name, value, env_file))

    assert cli.main(["rotate-key", "--new-key"]) == 0
    keys = env_file.read_text().split("MSP_ENCRYPTION_KEYS=")[1].strip().split(",")
    assert len(keys) == 2 and keys[1] == OLD and "COUNCIL_NAME=Testshire" in env_file.read_text()
    assert "restart the services" in capsys.readouterr().out

    assert cli.main(["rotate-key", "--forget-old-keys"]) == 1, "refused: values are still under the old key"
    assert OLD in env_file.read_text()
    assert cli.main(["rotate-key", "--batch", "3"]) == 0
    out = capsys.readouterr().out
    assert "outcomes.own_words" in out and "events.data" in out and "--forget-old-keys" in out
    assert cli.main(["rotate-key", "--forget-old-keys"]) == 0
    assert env_file.read_text().count("MSP_ENCRYPTION_KEYS=") == 1 and OLD not in env_file.read_text()
    assert records.export_records(enquiry_ref=enquiry.ref) == before
    assert all(crypto.decrypt(v, keys[:1]) is not None for v in everything_stored(keyed))

    actions = [e.detail for e in audit.list_events(per_page=100, action="rotate-key").items]
    assert len(actions) == 3 and any("re-encrypted=" in (d or "") for d in actions)
    assert not any(word in " ".join(d or "" for d in actions) for word in enquiry.words)


def test_when_the_keys_come_from_the_environment_dot_env_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"MSP_ENCRYPTION_KEYS={OLD}\n")
    monkeypatch.setenv("MSP_ENCRYPTION_KEYS", NEW)  # the real environment wins over .env
    assert replace_env_value("MSP_ENCRYPTION_KEYS", f"{NEW},{OLD}", env_file) is False
    assert env_file.read_text() == f"MSP_ENCRYPTION_KEYS={OLD}\n"
