"""A person's turn is one unit of work: written together, once, or not at all (a flag at once).

Played on SQLite and PostgreSQL (`stores`), counting the commits the records database sees.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, List

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from bot import constants as c
from bot.store import db, records
from bot.store.models import Alert
from tests.store.conftest import Stores

CID = "turn-test"
S = c.STAGE_OUTCOMES


@contextmanager
def commits(url: str) -> Iterator[List[int]]:
    """How many transactions the records database commits meanwhile (one entry per commit)."""
    engine: Engine = db.get_engine(url)
    seen: List[int] = []

    def count(_conn: object) -> None:
        seen.append(1)

    event.listen(engine, "commit", count)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", count)


def _fail_a_write() -> None:
    """A store call whose statement the database refuses (as a lost connection would)."""
    with db.session_scope() as session:
        session.execute(text("SELECT no_such_column FROM conversations"))


def test_a_turn_of_several_writes_commits_once(stores: Stores) -> None:
    with commits(stores.records_url) as seen:
        with records.one_transaction():
            records.start_conversation(CID, S, "ENQ-1", c.ROLE_PERSON)
            records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
            records.add_outcomes(CID, S, [(c.FEEL_SAFER, "I want to feel safe at home")])
            assert [o.code for o in records.list_outcomes(CID, S)] == [c.FEEL_SAFER]  # its own writes, seen
            records.set_status(CID, S, c.STATUS_IN_PROGRESS)
    assert len(seen) == 1
    record = records.get_record(CID, S)
    assert record is not None and record["answers"][c.CONSENT_TO_TALK] == c.YES


def test_outside_a_turn_each_call_is_its_own_unit_of_work(stores: Stores) -> None:
    with commits(stores.records_url) as seen:
        records.start_conversation(CID, S)
        records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
    assert len(seen) == 2


def test_a_failed_write_keeps_nothing_of_the_turn_and_says_so(stores: Stores) -> None:
    records.start_conversation(CID, S)
    with pytest.raises(db.TurnNotSaved):
        with records.one_transaction():
            records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
            try:
                _fail_a_write()  # caught by its caller, as a failed mark is: the turn must still fail
            except Exception:  # noqa: BLE001
                pass
            records.add_outcomes(CID, S, [(c.FEEL_SAFER, "safe at home")])
    record = records.get_record(CID, S)
    assert record is not None and record["answers"][c.CONSENT_TO_TALK] is None
    assert records.list_outcomes(CID, S) == []


def test_a_flag_is_committed_at_once_and_stays_when_the_turn_fails(stores: Stores) -> None:
    with pytest.raises(db.TurnNotSaved):
        with records.one_transaction():
            records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
            alert_id = records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, channels=("webhook",))
            # Another connection sees the alert before the turn ends: the sender can send it now.
            with db.get_engine(stores.records_url).connect() as other:
                assert other.execute(select(Alert.id).where(Alert.id == alert_id)).scalar() == alert_id
            _fail_a_write_caught()
    record = records.get_record(CID, S)
    assert record is not None and record["flags"][c.FLAG_URGENT_SAFETY] is True
    # What the turn wrote before the flag went with the flag's commit; after it, nothing.
    assert record["answers"][c.CONSENT_TO_TALK] == c.YES


def _fail_a_write_caught() -> None:
    try:
        _fail_a_write()
    except Exception:  # noqa: BLE001
        pass


def test_save_turn_mid_turn_tells_of_a_failure_and_the_turn_goes_on(stores: Stores) -> None:
    records.start_conversation(CID, S)
    with records.one_transaction():
        records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
        _fail_a_write_caught()
        with pytest.raises(db.TurnNotSaved):
            records.save_turn()
        records.save_answer(CID, S, c.SPEAKER_ROLE, c.ROLE_PERSON)  # the rest of the turn is kept
    record = records.get_record(CID, S)
    assert record is not None
    assert record["answers"][c.CONSENT_TO_TALK] is None
    assert record["speaker_role"] == c.ROLE_PERSON


def test_a_turn_opened_inside_a_turn_joins_it(stores: Stores) -> None:
    with commits(stores.records_url) as seen:
        with records.one_transaction():
            records.start_conversation(CID, S)
            with records.one_transaction():
                records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
            records.set_status(CID, S, c.STATUS_PAUSED)
    assert len(seen) == 1


def test_an_error_in_the_turn_rolls_it_back_whole(stores: Stores) -> None:
    with pytest.raises(RuntimeError):
        with records.one_transaction():
            records.start_conversation(CID, S)
            raise RuntimeError("our code failed mid-turn")
    assert records.get_record(CID, S) is None
