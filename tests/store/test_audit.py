"""The audit log: added to, read a page at a time, and never changed or removed (the database refuses)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from bot.store import audit
from bot.store.db import session_scope
from bot.store.models import AuditEvent


def test_entries_are_added_and_read_newest_first_a_page_at_a_time(record_db: str) -> None:
    for n in range(7):
        audit.record("ann@example.org" if n % 2 else "Bob@example.org", "view" if n < 5 else "export",
                     f"conversation=c-{n}", "10.0.0.1")
    first = audit.list_events(page=1, per_page=3)
    assert first.total == 7 and first.pages == 3 and first.page == 1
    assert [e.detail for e in first.items] == ["conversation=c-6", "conversation=c-5", "conversation=c-4"]
    last = audit.list_events(page=3, per_page=3)
    assert [e.detail for e in last.items] == ["conversation=c-0"] and last.page == last.pages
    assert audit.list_events(action="export").total == 2
    assert audit.list_events(actor="BOB@example.org").total == 4
    assert audit.list_events(action="view", actor="ann@example.org").total == 2
    assert first.items[0].address == "10.0.0.1"


def test_long_values_are_cut_to_fit_rather_than_lost(record_db: str) -> None:
    audit.record("a" * 400, "an_action_name_longer_than_thirty_two", "x", "f" * 100)
    (entry,) = audit.list_events().items
    assert len(entry.actor) == 255 and len(entry.action) == 32 and len(entry.address or "") == 64


def test_record_keeps_its_signature_and_takes_an_address(record_db: str) -> None:
    audit.record("someone", "export", "format=csv")
    audit.record("someone", "export", "format=json", address="192.0.2.7")
    assert [(e.detail, e.address) for e in audit.list_events().items] == [("format=json", "192.0.2.7"),
                                                                          ("format=csv", None)]


def test_the_module_offers_no_way_to_change_or_remove_an_entry() -> None:
    public = [name for name in dir(audit) if not name.startswith("_")]
    assert not [n for n in public if n.startswith(("update", "delete", "remove", "edit", "clear", "purge"))]


def _refused(url: str) -> None:
    audit.record("ann@example.org", "export", "format=csv", "10.0.0.1")
    with pytest.raises(DBAPIError, match="the audit log can only be added to"):
        with session_scope() as session:
            session.execute(update(AuditEvent).values(actor="someone else"))
    with pytest.raises(DBAPIError, match="the audit log can only be added to"):
        with session_scope() as session:
            session.execute(delete(AuditEvent))
    with pytest.raises(DBAPIError, match="the audit log can only be added to"):
        with session_scope() as session:
            entry = session.execute(select(AuditEvent)).scalars().first()
            session.delete(entry)
    with session_scope() as session:
        (entry,) = session.execute(select(AuditEvent)).scalars()
        assert entry.actor == "ann@example.org"


def test_the_database_refuses_to_change_or_remove_an_entry_sqlite(record_db: str) -> None:
    _refused(record_db)


def test_the_database_refuses_to_change_or_remove_an_entry_postgresql(pg_record_db: str) -> None:
    _refused(pg_record_db)
