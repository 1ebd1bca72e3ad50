"""Check-ins in the store: where a check-in's changes live, its dated entry, and the push it queues.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text, update

from bot import constants as c
from bot.store import checkins, crypto, privacy, pushes, records, retention, rotation
from bot.store.db import one_transaction, session_scope
from bot.store.export import checkin_view
from bot.store.models import Checkin, Conversation
from tests.store.conftest import Stores

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
        return [checkin_view(row) for row in session.execute(select(Checkin).order_by(Checkin.id)).scalars()]


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


def _a_check_in_that_changed_things() -> str:
    """first: two wishes, confirmed; check-1 takes one away, adds one, and leaves a comment."""
    home = _outcomes("first", confirmed=True)
    records.add_outcomes(home, S, [(c.ACCESS_SUPPORT, "help with money")])
    records.start_conversation("check-1", c.STAGE_CHECKIN, REF, c.ROLE_PERSON)
    records.save_answer("check-1", c.STAGE_CHECKIN, c.FEELS_SAFE_NOW, c.NOT_SURE)
    records.set_status("check-1", c.STAGE_CHECKIN, c.STATUS_COMPLETED)
    with one_transaction():
        records.add_outcomes(home, S, [(c.MAKE_FRIENDS, "see my friends")], added_in="check-1")
        records.withdraw_outcomes(home, S, codes=[c.FEEL_SAFER], withdrawn_in="check-1")
        checkins.add_checkin(home, "check-1", c.NOT_SURE, [c.MAKE_FRIENDS], [c.FEEL_SAFER], [], "he came back")
    return home


def test_contract_v4_says_where_each_thing_lives(store: str) -> None:
    _a_check_in_that_changed_things()
    found = {(r["conversation_id"], r["stage"]): r for r in records.export_records(enquiry_ref=REF)}
    home, visit = found[("first", S)], found[("check-1", c.STAGE_CHECKIN)]
    assert home["contract"] == visit["contract"] == 4
    assert [(o["code"], o["added_in"], o["withdrawn_at"]) for o in home["outcomes"]] == [
        (c.ACCESS_SUPPORT, "first", None), (c.MAKE_FRIENDS, "check-1", None)]
    (gone,) = home["withdrawn_outcomes"]
    assert (gone["code"], gone["added_in"], gone["withdrawn_in"]) == (c.FEEL_SAFER, "first", "check-1")
    assert gone["withdrawn_at"].endswith("Z")
    (entry,) = home["checkins"]
    assert {k: v for k, v in entry.items() if k != "at"} == {
        "conversation_id": "check-1", "feels_safe_now": c.NOT_SURE, "added": [c.MAKE_FRIENDS],
        "withdrawn": [c.FEEL_SAFER], "changed": [], "comment": "he came back"}
    # The check-in's own record: its status and answers, no wishes, no entries of its own.
    assert (visit["status"], visit["answers"][c.FEELS_SAFE_NOW]) == (c.STATUS_COMPLETED, c.NOT_SURE)
    assert visit["outcomes"] == [] and visit["checkins"] == []


def test_the_push_leaves_the_comment_out_unless_words_are_included(store: str) -> None:
    import json

    from bot.alerts.pushes import build
    from bot.settings import load_settings

    _a_check_in_that_changed_things()
    record = records.get_record("first", S)
    assert record is not None
    settings = load_settings()
    for include, comment in ((False, None), (True, "he came back")):
        raw, _ = build(record, 2, settings.__class__(**{**vars(settings), "record_push_include_words": include}))
        assert json.loads(raw)["checkins"][0]["comment"] == comment


def test_erasure_takes_the_entries_with_their_record_or_their_check_in(stores: Stores) -> None:
    home = _a_check_in_that_changed_things()
    privacy.erase(conversation_id="check-1", actor="mo@example.org", tracker_store_url=stores.tracker_url)
    assert _entries() == [] and records.get_record(home, S) is not None
    checkins.add_checkin(home, "check-2", None, [], [], [], "more words")
    privacy.erase(enquiry_ref=REF, actor="mo@example.org", tracker_store_url=stores.tracker_url)
    assert _entries() == []


def test_retention_removes_the_comments_and_keeps_what_changed(stores: Stores) -> None:
    home = _a_check_in_that_changed_things()
    old = datetime(2023, 1, 1)
    with session_scope() as session:
        session.execute(update(Conversation).values(updated_at=old))
    result = retention.apply_retention(datetime(2026, 6, 1), months=24, actor="ops",
                                       tracker_store_url=stores.tracker_url)
    assert result.comments == 1
    (entry,) = _entries()
    assert entry.comment is None and entry.added == [c.MAKE_FRIENDS] and entry.withdrawn == [c.FEEL_SAFER]
    assert records.get_record(home, S)["checkins"][0]["comment"] is None  # type: ignore[index]


def test_key_rotation_covers_the_comments() -> None:
    assert ("checkins", "id", "comment") in rotation.RECORD_COLUMNS
