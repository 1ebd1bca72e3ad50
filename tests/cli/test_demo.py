"""`msp seed-demo`: made-up enquiries, all marked as demo, never mixed into real records.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest
from sqlalchemy import func, select

from bot import constants as c
from bot.cli import demo
from bot.cli.main import main
from bot.store import export, records
from bot.store.db import session_scope
from bot.store.models import Alert, AuditEvent, Conversation, Correction, Outcome

NOW = datetime(2026, 11, 28, 12, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _count(model: Any) -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _all() -> List[Dict[str, Any]]:
    return list(export.iter_records())


def test_seeds_marked_demo_records_with_realistic_spreads(store: str) -> None:
    result = demo.seed_demo(400, seed=5, now=NOW, batch_size=150)
    found = _all()
    assert result.conversations == len(found) == _count(Conversation)
    assert result.outcomes == _count(Outcome) and result.alerts == _count(Alert)
    assert (result.first_ref, result.last_ref) == ("DEMO-00000001", "DEMO-00000400")
    assert all(r["conversation_id"].startswith("demo-") for r in found)
    refs = {r["enquiry_ref"] for r in found}
    assert all(ref is None or ref.startswith("DEMO-") for ref in refs)
    assert 390 <= len(refs - {None}) <= 400  # about 1% have no reference
    stages = {r["stage"] for r in found}
    assert stages == {c.STAGE_OUTCOMES, c.STAGE_REVIEW}  # the demo has no check-ins (yet)
    assert {r["status"] for r in found} == {c.STATUS_COMPLETED, c.STATUS_PAUSED, c.STATUS_IN_PROGRESS,
                                           c.STATUS_DECLINED}
    wishes = [o for r in found if r["stage"] == c.STAGE_OUTCOMES for o in r["outcomes"]]
    assert len({o["code"] for o in wishes}) == len(c.OUTCOME_CODES)
    assert all(o["own_words"] for o in wishes)
    achieved = {o["achieved"] for r in found if r["stage"] == c.STAGE_REVIEW for o in r["outcomes"]}
    assert achieved >= {c.FULLY, c.PARTLY, c.NOT, c.DONT_KNOW}
    assert all(any(r["flags"][f] for r in found) for f in c.FLAGS)
    assert {r["answers"]["feels_safe_now"] for r in found} >= {c.YES, c.NO, c.NOT_SURE}
    starts = [datetime.strptime(r["started_at"], "%Y-%m-%dT%H:%M:%SZ") for r in found]
    assert NOW - timedelta(days=3 * 365 + 30) <= min(starts) and max(starts) <= NOW
    assert max(starts) - min(starts) > timedelta(days=2 * 365)
    # Demo alerts are never waiting to be sent: a running sender must not pick one up.
    assert {a["delivery"] for r in found for a in r["alerts"]} <= {c.DELIVERY_SENT, c.DELIVERY_FAILED}
    with session_scope() as session:
        (entry,) = session.execute(select(AuditEvent).where(AuditEvent.action == "seed-demo")).scalars()
        assert entry.detail == "enquiries=400 seed=5 first=1"


def test_same_seed_same_records_and_seeding_again_adds_more(store: str) -> None:
    demo.seed_demo(30, seed=9, now=NOW)
    first = _all()
    demo.seed_demo(30, seed=9, now=NOW)  # numbered on: DEMO-00000031 ...
    both = _all()
    assert len({r["enquiry_ref"] for r in both} - {None}) > len({r["enquiry_ref"] for r in first} - {None})
    again = [r for r in both if r["conversation_id"] > "demo-00000031"]
    strip = ("conversation_id", "enquiry_ref")
    def same(r: dict) -> str:  # type: ignore[type-arg]
        """The record without its ids (a wish's added_in names its conversation)."""
        return str({k: v for k, v in r.items() if k not in strip}).replace(r["conversation_id"], "<id>")

    assert sorted(same(r) for r in again) == sorted(same(r) for r in first)
    # New rows written afterwards get ids after the seeded ones (PostgreSQL's sequences moved on).
    records.add_outcomes("demo-extra", c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "words")])
    assert records.get_record("demo-extra", c.STAGE_OUTCOMES) is not None


def test_corrections_point_at_their_wish(store: str) -> None:
    demo.seed_demo(600, seed=2, now=NOW)
    with session_scope() as session:
        fixes = session.execute(select(Correction)).scalars().all()
        assert fixes
        for fix in fixes:
            wish = session.get(Outcome, fix.outcome_pk)
            assert wish is not None and wish.conversation_pk == fix.conversation_pk
            assert wish.code == fix.to_code != fix.from_code and wish.position == fix.outcome_index


def test_refuses_a_database_with_real_records(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    records.start_conversation("a1b2c3", c.STAGE_OUTCOMES, "NR-2026-0042", c.ROLE_PERSON)
    with pytest.raises(demo.RealRecordsPresent):
        demo.seed_demo(10)
    assert main(["seed-demo", "--enquiries", "10"]) == 2
    err = capsys.readouterr().err
    assert "Refusing to seed" in err and "real records" in err and "demo-" in err
    assert _count(Conversation) == 1 and _count(Outcome) == 0


def test_refuses_a_real_alert_even_without_its_conversation(store: str) -> None:
    records.set_flag("real-1", c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY)
    with session_scope() as session:
        session.execute(Conversation.__table__.delete())  # the alert stays, its link set to null
    assert _count(Alert) == 1
    with pytest.raises(demo.RealRecordsPresent):
        demo.seed_demo(10)


def test_msp_seed_demo(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed-demo", "--enquiries", "25", "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "Added 25 demo enquiries (DEMO-00000001 to DEMO-00000025)" in out
    assert len({r["enquiry_ref"] for r in _all()} - {None}) >= 23
    assert main(["seed-demo", "--enquiries", "0"]) == 2
