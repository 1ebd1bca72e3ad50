"""Advocacy in the store (issue 18, part 2), on SQLite and PostgreSQL: the flag with its reasons and an
ordinary duty alert, once; the answer to the offer; a practitioner's decision, audited; and migration 0010."""

from __future__ import annotations

from datetime import date
from typing import List

import pytest
from alembic import command
from sqlalchemy import inspect, select

from bot import constants as c
from bot.store import advocacy, alerts, audit, records
from bot.store import db as store_db
from bot.store.db import session_scope
from bot.store.migrate import alembic_config, upgrade
from bot.store.models import Advocacy, Alert
from tests.store.conftest import schema_differences

CID = "conv-advocacy"
S = c.STAGE_OUTCOMES
REASONS = [c.DIFFICULTY_NOT_UNDERSTOOD, c.DIFFICULTY_READING]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _alerts() -> List[Alert]:
    with session_scope() as session:
        rows = list(session.execute(select(Alert).order_by(Alert.id)).scalars())
        session.expunge_all()
        return rows


def _start(cid: str = CID, ref: str = "NR-2026-0042") -> None:
    records.start_conversation(cid, S, enquiry_ref=ref)


def test_the_flag_its_reasons_and_an_ordinary_alert_are_written_once(store: str) -> None:
    _start()
    alert_id = advocacy.note_difficulty(CID, S, REASONS, ("webhook",), offered=True, message_id="m-7")
    assert alert_id is not None
    assert advocacy.note_difficulty(CID, S, [c.DIFFICULTY_REMEMBERING], ("webhook",)) is None  # once
    record = records.get_record(CID, S)
    assert record is not None and record["flags"][c.FLAG_ADVOCACY_NEEDED] is True
    (alert,) = _alerts()
    assert (alert.id, alert.kind, alert.reason, alert.route, alert.delivery, alert.message_id) == (
        alert_id, c.FLAG_ADVOCACY_NEEDED, c.ALERT_REASON_FIRST, c.ROUTE_DUTY, c.DELIVERY_RETRYING, "m-7")
    assert alert.kind != c.FLAG_URGENT_SAFETY  # ordinary: never escalated out of hours
    (view,) = advocacy.waiting()
    assert view.reasons == tuple(REASONS) and view.offered_at is not None and view.needed
    assert alerts.escalate_overdue(after=__import__("datetime").timedelta(0), channels=("webhook",)) == []


def test_reasons_must_be_codes(store: str) -> None:
    _start()
    for bad in ([], ["she can't read"], ["lacks_capacity"]):
        with pytest.raises(ValueError):
            advocacy.note_difficulty(CID, S, bad)
    assert _alerts() == []


def test_without_a_channel_the_alert_is_kept_as_no_channel(store: str) -> None:
    _start()
    advocacy.note_difficulty(CID, S, REASONS)
    assert [a.delivery for a in _alerts()] == [c.DELIVERY_NO_CHANNEL]


def test_the_answer_to_the_offer_is_kept(store: str) -> None:
    _start()
    advocacy.note_difficulty(CID, S, REASONS, offered=True)
    advocacy.answer_offer(CID, S, c.YES)
    assert advocacy.waiting()[0].offer_answer == c.YES
    with pytest.raises(ValueError):
        advocacy.answer_offer(CID, S, "maybe")


def test_the_list_has_what_needs_a_decision_and_a_decision_takes_it_off(store: str) -> None:
    _start()
    _start("conv-asked", "NR-2026-0043")
    _start("conv-none", "NR-2026-0044")
    advocacy.note_difficulty(CID, S, REASONS)
    records.set_flag("conv-asked", S, c.FLAG_ADVOCACY_REQUESTED)
    assert {v.conversation_id for v in advocacy.waiting()} == {CID, "conv-asked"}

    advocacy.record_decision(CID, S, c.ADVOCACY_REFERRED, "sw@council.example", referred_on=date(2026, 12, 1),
                             organisation=" POhWER ", address="10.0.0.9")
    advocacy.record_decision("conv-asked", S, c.ADVOCACY_NOT_NEEDED, "sw@council.example",
                             no_referral_reason="appropriate_person")
    assert advocacy.waiting() == []
    done = {v.conversation_id: v for v in advocacy.decided()}
    assert (done[CID].decision, done[CID].referred_on, done[CID].organisation) == (
        c.ADVOCACY_REFERRED, date(2026, 12, 1), "POhWER")
    assert (done["conv-asked"].decision, done["conv-asked"].no_referral_reason) == (
        c.ADVOCACY_NOT_NEEDED, "appropriate_person")
    entries = audit.list_events(action="advocacy").items
    assert [e.detail for e in entries] == [
        "conversation=conv-asked stage=outcomes decision=not_needed reason=appropriate_person",
        f"conversation={CID} stage=outcomes decision=referred on=2026-12-01"]
    assert entries[1].address == "10.0.0.9" and all("POhWER" not in (e.detail or "") for e in entries)
    assert set(advocacy.for_conversation(CID)) == {S}


@pytest.mark.parametrize("kwargs", [
    {"decision": c.ADVOCACY_REFERRED, "organisation": "POhWER"},  # no date
    {"decision": c.ADVOCACY_REFERRED, "referred_on": date(2026, 12, 1), "organisation": "  "},
    {"decision": c.ADVOCACY_NOT_NEEDED},  # no reason
    {"decision": c.ADVOCACY_NOT_NEEDED, "no_referral_reason": "lacks capacity"},
    {"decision": "maybe"},
])
def test_an_incomplete_decision_is_refused(store: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    _start()
    with pytest.raises(ValueError):
        advocacy.record_decision(CID, S, by="sw@council.example", **kwargs)
    with session_scope() as session:
        assert session.execute(select(Advocacy)).first() is None


def test_a_decision_for_a_record_that_does_not_exist_is_refused(store: str) -> None:
    with pytest.raises(ValueError):
        advocacy.record_decision("nobody", S, c.ADVOCACY_NOT_NEEDED, "sw", no_referral_reason="has_advocate")


def _differences(url: str) -> list:  # type: ignore[type-arg]
    return schema_differences(url, "advocacy")


def test_migration_0010_up_down_and_up_again(empty_url: str) -> None:
    upgrade(empty_url, "0009")
    upgrade(empty_url, "0010")
    assert "advocacy" in inspect(store_db.get_engine(empty_url)).get_table_names()
    assert _differences(empty_url) == []
    command.downgrade(alembic_config(empty_url), "0009")
    found = inspect(store_db.get_engine(empty_url))
    assert "advocacy" not in found.get_table_names()
    assert "advocacy_needed" not in {col["name"] for col in found.get_columns("conversations")}
    upgrade(empty_url, "0010")
    assert _differences(empty_url) == []
    store_db.dispose(empty_url)
