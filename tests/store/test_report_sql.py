"""`msp report`'s SQL gives the hand-worked figures, and the same figures as a brute-force count.

The hand-worked fixtures of tests/test_report.py are the spec: here they are
written into the database and counted by SQL aggregates. Then a seeded
database of about 300 enquiries (with ties, records without a reference,
odd values and corrections) is counted both ways, for several periods. Every
test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import update

from bot import constants as c
from bot.cli import demo
from bot.report import compute_report, compute_report_between, report_to_dict
from bot.store import corrections, records
from bot.store.db import session_scope
from bot.store.models import Conversation, Outcome
from tests.test_report import EXPECTED, hand_built, rec

NOW = datetime(2026, 11, 28, 12, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _moment(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


def _write(records_: List[Dict[str, Any]]) -> None:
    """Contract dictionaries into the tables, as they are (times, statuses, answers and all)."""
    with session_scope() as session:
        for record in records_:
            row = Conversation(
                conversation_id=record["conversation_id"], stage=record["stage"],
                enquiry_ref=record["enquiry_ref"], status=record["status"],
                speaker_role=record["speaker_role"], asked_about_outcomes=record["asked_about_outcomes"],
                confirmed=record["confirmed"], comments=record["feedback"]["comments"],
                **{q: record["feedback"][q] for q in c.FEEDBACK_QUESTIONS},
                **{f: record["flags"][f] for f in c.FLAGS},
                started_at=_moment(record["started_at"]), updated_at=_moment(record["updated_at"]),
            )
            codes = set()
            for position, outcome in enumerate(record["outcomes"]):
                if outcome["code"] in codes:  # one row per code per record (as add_outcomes keeps it)
                    continue
                codes.add(outcome["code"])
                row.outcomes.append(Outcome(code=outcome["code"], own_words=outcome["own_words"],
                                            achieved=outcome["achieved"], position=position,
                                            may_not_be_achievable=outcome["may_not_be_achievable"]))
            session.add(row)
            session.flush()
            # Column defaults must not move the times the fixtures give.
            session.execute(update(Conversation).where(Conversation.id == row.id).values(
                started_at=_moment(record["started_at"]), updated_at=_moment(record["updated_at"])))


def test_sql_gives_the_hand_worked_figures(store: str) -> None:
    _write(hand_built())
    figures = report_to_dict(compute_report_between())
    for key, value in EXPECTED.items():
        assert figures[key] == value, key


def test_sql_period_is_updated_at_in_from_inclusive_to_exclusive(store: str) -> None:
    _write(hand_built())
    # Only R1 (06-01) and R9 (06-20) were last updated in June.
    june = compute_report_between(datetime(2026, 6, 1, 10, 0, 0), datetime(2026, 7, 1))
    assert june.records == 2
    assert june.outcomes_achieved == {"fully": 1, "partially": 0, "not": 0, "not_recorded": 0}
    assert june.feedback[c.GOALS_MET][c.YES] == 1  # R1 completed beats the newer paused R9
    assert compute_report_between(datetime(2026, 6, 1, 10, 0, 1), datetime(2026, 7, 1)).records == 1
    assert compute_report_between(until=datetime(2026, 6, 1, 10, 0, 0)).records == 16
    assert compute_report_between(datetime(2030, 1, 1)).records == 0


def test_sql_does_not_count_wishes_taken_away(store: str) -> None:
    """Codes and the SG4a roll-up skip a wish taken away or set aside; the record still holds it."""
    _write([
        rec("o", c.STAGE_OUTCOMES, c.STATUS_COMPLETED, "E1", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None), (c.SOMETHING_ELSE, None)]),
        rec("r", c.STAGE_REVIEW, c.STATUS_COMPLETED, "E1",
            outcomes=[(c.FEEL_SAFER, c.DONT_KNOW), (c.MAKE_FRIENDS, c.FULLY)]),
        rec("r2", c.STAGE_REVIEW, c.STATUS_COMPLETED, "E2",
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.BE_INVOLVED, c.NOT)]),
    ])
    before = compute_report_between()
    assert (before.outcome_codes[c.SOMETHING_ELSE], before.outcomes_achieved["fully"]) == (1, 1)
    assert before.outcomes_achieved["partially"] == 1
    corrections.set_aside("o", c.STAGE_OUTCOMES, 1, "sw@example.org")
    corrections.set_aside("r", c.STAGE_REVIEW, 1, "sw@example.org")
    with session_scope() as session:  # taken away by the person in a later conversation
        session.execute(update(Outcome).where(Outcome.code == c.BE_INVOLVED).values(
            withdrawn_at=NOW, withdrawn_in="r3", withdrawn_reason=c.WITHDRAWN_BY_PERSON))
    after = compute_report_between()
    assert {k: v for k, v in after.outcome_codes.items() if v} == {c.FEEL_SAFER: 1}
    # E1: only dont_know is left -> not recorded; E2: only fully is left -> fully.
    assert after.outcomes_achieved == {"fully": 1, "partially": 0, "not": 0, "not_recorded": 1}
    assert after.asked_about_outcomes == before.asked_about_outcomes
    with session_scope() as session:
        assert session.query(Outcome).count() == 6, "kept, never deleted"


def _awkward() -> List[Dict[str, Any]]:
    """Records that the rules must treat the same way in SQL as in Python."""
    R, OUT = c.STAGE_REVIEW, c.STAGE_OUTCOMES
    same = "2026-03-01T10:00:00Z"
    return [
        # Two outcomes records of one enquiry with the same times: the later-written one (higher id) wins.
        rec("tie-1", OUT, c.STATUS_COMPLETED, "DEMO-TIE", same, asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None)]),
        rec("tie-2", OUT, c.STATUS_COMPLETED, "DEMO-TIE", same, asked=c.ASKED_NONE_EXPRESSED),
        # An empty reference stands on its own conversation, like no reference.
        rec("empty-ref", OUT, c.STATUS_COMPLETED, "", asked=c.ASKED_EXPRESSED, outcomes=[(c.MAKE_FRIENDS, None)]),
        rec("empty-ref-2", OUT, c.STATUS_PAUSED, "", asked=c.ASKED_EXPRESSED, outcomes=[(c.MAKE_FRIENDS, None)]),
        rec("empty-ref-r", R, c.STATUS_COMPLETED, "", outcomes=[(c.MAKE_FRIENDS, c.PARTLY)]),
        # Values outside the contract count as not recorded / not answered.
        rec("odd", OUT, "weird", "DEMO-ODD", asked="maybe", outcomes=[(c.FEEL_SAFER, None)]),
        rec("odd-r", R, c.STATUS_COMPLETED, "DEMO-ODD", outcomes=[(c.FEEL_SAFER, "sort of")],
            feedback={c.GOALS_MET: "perhaps"}),
    ]


def _both_ways(since: Optional[datetime] = None, until: Optional[datetime] = None) -> None:
    by_sql = report_to_dict(compute_report_between(since, until))
    by_hand = report_to_dict(compute_report(records.export_records(since=since, until=until)))
    assert by_sql == by_hand


def test_sql_equals_a_brute_force_count_on_a_seeded_database(store: str) -> None:
    result = demo.seed_demo(300, seed=11, now=NOW)
    assert result.enquiries == 300 and result.corrections > 0  # seeded ones; more below
    _write(_awkward())
    figures = compute_report_between()
    assert figures.records > 450 and sum(figures.outcomes_achieved.values()) > 100
    # Corrections count under the current code, in both counts.
    for cid in ("demo-00000001-o1", "demo-00000002-o1", "demo-00000003-o1"):
        record = records.get_record(cid, c.STAGE_OUTCOMES)
        assert record is not None
        if record["outcomes"]:
            taken = {o["code"] for o in record["outcomes"]}
            free = next(code for code in c.OUTCOME_CODES if code not in taken)
            corrections.recode(cid, c.STAGE_OUTCOMES, 0, free, "sw@example.org")
    _both_ways()
    for start, end in ((NOW - timedelta(days=365), None), (None, NOW - timedelta(days=400)),
                       (NOW - timedelta(days=900), NOW - timedelta(days=300))):
        _both_ways(start, end)
