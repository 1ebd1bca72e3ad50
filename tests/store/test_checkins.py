"""Check-ins in the store: where a check-in's changes live, its dated entry, and the push it queues.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot import constants as c
from bot.store import checkins, crypto, pushes, records
from bot.store.db import one_transaction, session_scope
from bot.store.models import Checkin, Conversation

S = c.STAGE_OUTCOMES
REF = "NR-2026-0042"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _outcomes(cid: str, confirmed: bool, ref: str = REF) -> str:
    records.start_conversation(cid, S, ref, c.ROLE_PERSON)
    records.add_outcomes(cid, S, [(c.FEEL_SAFER, "I want it to stop")])
    records.save_answer(cid, S, "confirmed", confirmed)
    return cid


def test_home_is_the_newest_confirmed_outcomes_record(store: str) -> None:
    _outcomes("first", confirmed=True)
    _outcomes("later-unconfirmed", confirmed=False)
    _outcomes("other-enquiry", confirmed=True, ref="NR-2026-0099")
    assert checkins.home_of(REF, "check-1") == "first"
    _outcomes("second", confirmed=True)
    assert checkins.home_of(REF, "check-1") == "second"


def test_home_is_the_newest_outcomes_record_when_none_is_confirmed(store: str) -> None:
    _outcomes("older", confirmed=False)
    _outcomes("newer", confirmed=False)
    assert checkins.home_of(REF, "check-1") == "newer"


def test_without_an_outcomes_record_the_check_in_makes_one(store: str) -> None:
    assert checkins.home_of(REF, "check-1") == "check-1"
    made = records.get_record("check-1", S)
    assert made is not None and made["enquiry_ref"] == REF and made["status"] == c.STATUS_IN_PROGRESS
    assert checkins.home_of(REF, "check-2") == "check-1", "the next check-in finds it"
    with pytest.raises(ValueError):
        checkins.home_of("", "check-3")


def _entries() -> list:  # type: ignore[type-arg]
    with session_scope() as session:
        return [checkins.view(row) for row in session.execute(select(Checkin).order_by(Checkin.id)).scalars()]


def test_a_check_in_is_one_dated_entry_and_a_push_of_the_home(store: str) -> None:
    home = _outcomes("first", confirmed=True)
    records.set_status(home, S, c.STATUS_COMPLETED)
    entry = checkins.add_checkin(home, "check-1", c.NO, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [], "  Thank you  ")
    [made] = _entries()
    assert made.conversation_id == "check-1" and made.feels_safe_now == c.NO and made.comment == "Thank you"
    assert (made.added, made.withdrawn, made.changed) == ([c.MAKE_FRIENDS], [c.FEEL_SAFER], [])
    states = sorted((p.version, p.reason, p.state) for p in pushes.list_pushes() if p.conversation_id == home)
    assert states == [(1, c.PUSH_REASON_COMPLETED, c.PUSH_SUPERSEDED), (2, c.PUSH_REASON_CHECKIN, c.PUSH_QUEUED)]
    # A retried action: the same entry, no second push.
    assert checkins.add_checkin(home, "check-1", c.NO, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [], "Thank you") == entry
    assert len(_entries()) == 1 and len(pushes.list_pushes()) == 2
    # The check-in went on: the entry is updated, and the record pushed again.
    assert checkins.add_checkin(home, "check-1", c.YES, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [], None) == entry
    [updated] = _entries()
    assert updated.feels_safe_now == c.YES and updated.comment is None and len(pushes.list_pushes()) == 3
    assert checkins.last_checkin(REF) == updated.at
    assert checkins.last_checkin("NR-2026-0099") is None
    assert [v.conversation_id for v in checkins.checkins_of(REF)] == ["check-1"]


def test_the_comment_is_encrypted_at_rest(store: str) -> None:
    home = _outcomes("first", confirmed=True)
    checkins.add_checkin(home, "check-1", None, [], [], [], "he came back last week")
    with session_scope() as session:
        stored = session.execute(text("SELECT comment FROM checkins")).scalar()
    assert crypto.is_encrypted(stored) and "came back" not in stored
    assert checkins.checkins_of(REF)[0].comment == "he came back last week"


def test_a_check_in_inside_a_turn_is_one_transaction(store: str) -> None:
    """home_of, the wish added, the one withdrawn and the entry: all kept together, or none."""
    _outcomes("first", confirmed=True)
    with one_transaction():
        home = checkins.home_of(REF, "check-1")
        records.add_outcomes(home, S, [(c.MAKE_FRIENDS, "see my friends")], added_in="check-1")
        records.withdraw_outcomes(home, S, codes=[c.FEEL_SAFER], withdrawn_in="check-1")
        checkins.add_checkin(home, "check-1", c.YES, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [], None)
    assert [(o.code, o.added_in) for o in records.list_outcomes("first", S)] == [(c.MAKE_FRIENDS, "check-1")]
    with pytest.raises(RuntimeError), one_transaction():
        home = checkins.home_of("NR-2026-0077", "check-2")
        checkins.add_checkin(home, "check-2", c.YES, [], [], [], "words")
        raise RuntimeError("the turn failed")
    with session_scope() as session:
        assert session.execute(select(Conversation).where(Conversation.conversation_id == "check-2")).first() is None
    assert [e.conversation_id for e in _entries()] == ["check-1"]


def test_wishes_remember_the_conversation_that_stated_them(store: str) -> None:
    records.start_conversation("first", S, REF)
    records.add_outcomes("first", S, [(c.FEEL_SAFER, "stop it")])
    records.add_outcomes("first", S, [(c.MAKE_FRIENDS, "friends")], added_in="check-1")
    assert [(o.code, o.added_in) for o in records.list_outcomes("first", S)] == [
        (c.FEEL_SAFER, "first"), (c.MAKE_FRIENDS, "check-1")]


def test_bad_input_never_reaches_the_database(store: str) -> None:
    home = _outcomes("first", confirmed=True)
    with pytest.raises(ValueError):
        checkins.add_checkin(home, "check-1", "maybe", [], [], [], None)
    with pytest.raises(ValueError):
        checkins.add_checkin(home, "check-1", None, ["not_a_code"], [], [], None)
    with pytest.raises(ValueError):
        checkins.add_checkin("nowhere", "check-1", None, [], [], [], None)
    assert _entries() == []


def test_removing_the_home_removes_its_check_ins(store: str) -> None:
    home = _outcomes("first", confirmed=True)
    checkins.add_checkin(home, "check-1", None, [], [], [], "words")
    with session_scope() as session:
        session.delete(session.execute(select(Conversation).where(Conversation.conversation_id == home)).scalar_one())
    assert _entries() == []
