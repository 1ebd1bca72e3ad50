"""The board's figures in SQL (bot/report/board.py): feedback by UK quarter, and the wishes achieved by code.

Hand-built records sit either side of every quarter boundary, where UK time
and UTC part (the hour of summer time on 1 April, 1 July and 1 October) and
where they do not (1 January). Then a seeded database is counted both ways,
in SQL and by the plain-Python reference. Every test runs on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import DateTime, bindparam, select, update

from bot import constants as c
from bot.cli import demo
from bot.report.board import (
    compute_board,
    compute_board_between,
    quarter_name,
    uk_quarter,
    uk_quarter_sql,
)
from bot.report.compute import compute_report_between
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import Conversation, Outcome
from tests.store.test_report_sql import NOW, _write
from tests.test_report import ALL_DECLINED, ALL_YES, fb, rec

R, OUT, DONE, PAUSED = c.STAGE_REVIEW, c.STAGE_OUTCOMES, c.STATUS_COMPLETED, c.STATUS_PAUSED


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _instants() -> List[datetime]:
    """Times either side of every quarter's first moment, in UTC and in UK time, 2019 to 2031,
    and either side of each change of the clocks."""
    found = []
    for year in range(2019, 2032):
        for month in (1, 4, 7, 10):
            start = datetime(year, month, 1)
            found += [start + timedelta(minutes=m) for m in (-121, -61, -60, -59, -1, 0, 1, 59, 60, 61)]
        for month in (3, 10):  # the last Sunday, 01:00 UTC
            change = max(datetime(year, month, d, 1) for d in range(25, 32) if datetime(year, month, d).weekday() == 6)
            found += [change + timedelta(minutes=m) for m in (-1, 0, 1)]
    return found


def test_the_sql_quarter_is_the_uk_quarter_at_every_boundary(store: str) -> None:
    """SQLite's rule (an hour later, except in December) and PostgreSQL's time zone database both agree
    with Python's zoneinfo."""
    with session_scope() as session:
        dialect = session.get_bind().dialect.name
        moment = bindparam("moment", type_=DateTime())
        query = select(*uk_quarter_sql(moment, dialect))
        for instant in _instants():
            assert tuple(session.execute(query, {"moment": instant}).one()) == uk_quarter(instant), instant
    # Where they part: the last hour of June in UTC is July in the UK; New Year is the same in both.
    assert uk_quarter(datetime(2026, 6, 30, 23, 30)) == (2026, 3)
    assert uk_quarter(datetime(2026, 12, 31, 23, 30)) == (2026, 4)


def _quarters_apart() -> List[Dict[str, Any]]:
    """Reviews either side of the boundaries (times in UTC), worked out by hand below."""
    return [
        # E1: 00:30 on 1 July in the UK (BST) -> 2026 Q3 (Q2 in UTC). Its older review is superseded.
        rec("late-june", R, DONE, "E1", "2026-06-30T23:30:00Z", feedback=ALL_YES,
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.BE_INVOLVED, c.PARTLY)]),
        rec("older", R, DONE, "E1", "2026-05-01T10:00:00Z", feedback={c.GOALS_MET: c.NO},
            outcomes=[(c.FEEL_SAFER, c.NOT)]),
        # E2: 23:59:59 on 30 June in the UK -> 2026 Q2; every answer declined.
        rec("june", R, DONE, "E2", "2026-06-30T22:59:59Z", feedback=ALL_DECLINED, outcomes=[(c.FEEL_SAFER, c.NOT)]),
        # E3: 23:30 on 31 December, GMT: UK time is UTC -> 2026 Q4, not 2027 Q1.
        rec("new-year-eve", R, DONE, "E3", "2026-12-31T23:30:00Z", feedback={c.GOALS_MET: c.NO},
            outcomes=[(c.POLICE_PROSECUTE, c.DONT_KNOW)]),
        # E4: midnight on 1 January -> 2027 Q1; its wish was not answered.
        rec("new-year", R, DONE, "E4", "2027-01-01T00:00:00Z", feedback={c.GOALS_MET: c.PARTLY},
            outcomes=[(c.FEEL_SAFER, None)]),
        # E5: paused, midnight on 1 April in the UK -> 2026 Q2 (Q1 in UTC): its feedback counts, its wish not.
        rec("spring", R, PAUSED, "E5", "2026-03-31T23:00:00Z", feedback={c.GOALS_MET: c.DONT_KNOW},
            outcomes=[(c.FEEL_SAFER, c.FULLY)]),
        # E6: midnight on 1 October in the UK -> 2026 Q4; make_friends is withdrawn below (not counted).
        rec("autumn", R, DONE, "E6", "2026-09-30T23:00:00Z", feedback={c.HAPPIER: c.YES},
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.MAKE_FRIENDS, c.FULLY)]),
        # Outcomes conversations are never feedback.
        rec("o6", OUT, DONE, "E6", "2026-02-01T10:00:00Z", asked=c.ASKED_EXPRESSED, outcomes=[(c.MAKE_FRIENDS, None)]),
    ]


def _withdraw(conversation_id: str, code: str) -> None:
    with session_scope() as session:
        pk = session.execute(select(Conversation.id).where(Conversation.conversation_id == conversation_id)).scalar()
        session.execute(update(Outcome).where(Outcome.conversation_pk == pk, Outcome.code == code).values(
            withdrawn_at=NOW, withdrawn_in="checkin-1", withdrawn_reason=c.WITHDRAWN_BY_PERSON))


def _one_answer(question: str, answer: str, reviews: int) -> Dict[str, Dict[str, int]]:
    """Every question not answered in `reviews` reviews, but `question`, answered `answer` once."""
    blank = {q: fb(0, 0, 0, 0, 0, reviews) for q in c.FEEDBACK_QUESTIONS}
    blank[question] = {**blank[question], answer: 1, "not_answered": reviews - 1}
    return blank


def test_feedback_by_uk_quarter_and_wishes_by_code(store: str) -> None:
    _write(_quarters_apart())
    _withdraw("autumn", c.MAKE_FRIENDS)
    board = compute_board_between(datetime(2026, 1, 1), datetime(2027, 4, 1))
    assert board.quarters == ["2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4", "2027 Q1"]
    quarters = board.feedback_by_quarter
    assert quarters["2026 Q1"] == {q: fb(0, 0, 0, 0, 0, 0) for q in c.FEEDBACK_QUESTIONS}  # empty, shown as zeros
    # 2026 Q2: "june" (all declined) and the paused "spring" (goals_met don't know).
    assert quarters["2026 Q2"][c.GOALS_MET] == fb(0, 0, 0, 1, 1, 0)
    for question in c.FEEDBACK_QUESTIONS[1:]:
        assert quarters["2026 Q2"][question] == fb(0, 0, 0, 0, 1, 1), question
    assert quarters["2026 Q3"] == {q: fb(1, 0, 0, 0, 0, 0) for q in c.FEEDBACK_QUESTIONS}  # "late-june"
    q4 = _one_answer(c.GOALS_MET, c.NO, 2)  # "new-year-eve" and "autumn"
    q4[c.HAPPIER] = fb(1, 0, 0, 0, 0, 1)
    assert quarters["2026 Q4"] == q4
    assert quarters["2027 Q1"] == _one_answer(c.GOALS_MET, c.PARTLY, 1)
    # Wishes: the newest completed review of each enquiry; "older", the paused "spring" and the
    # withdrawn make_friends do not count.
    assert {code: counts for code, counts in board.wishes_achieved.items() if sum(counts.values())} == {
        c.FEEL_SAFER: {"fully": 2, "partly": 0, "not": 1, "dont_know": 0, "not_answered": 1},
        c.BE_INVOLVED: {"fully": 0, "partly": 1, "not": 0, "dont_know": 0, "not_answered": 0},
        c.POLICE_PROSECUTE: {"fully": 0, "partly": 0, "not": 0, "dont_know": 1, "not_answered": 0},
    }
    # The quarters add up to the report's feedback table for the same period.
    report = compute_report_between(datetime(2026, 1, 1), datetime(2027, 4, 1))
    for question in c.FEEDBACK_QUESTIONS:
        summed = {a: sum(quarters[q][question][a] for q in board.quarters) for a in report.feedback[question]}
        assert summed == report.feedback[question], question


def test_the_period_picks_the_records_by_utc_time(store: str) -> None:
    """The period is the report's (records last updated from `since` up to `until`, UTC); the quarter is UK."""
    _write(_quarters_apart())
    board = compute_board_between(datetime(2026, 4, 1), datetime(2026, 7, 1))  # "to 2026-06-30"
    # "late-june" (23:30 UTC on 30 June) is in the period, and in 2026 Q3 in UK time: shown there, not lost.
    assert board.quarters == ["2026 Q2", "2026 Q3"]
    assert board.feedback_by_quarter["2026 Q3"][c.GOALS_MET] == fb(1, 0, 0, 0, 0, 0)
    # "spring" (23:00 UTC on 31 March) is before the period, though it is 1 April in the UK.
    assert board.feedback_by_quarter["2026 Q2"][c.GOALS_MET] == fb(0, 0, 0, 0, 1, 0)


def test_no_feedback_shows_the_periods_quarters_as_zeros(store: str) -> None:
    assert compute_board_between().quarters == []
    board = compute_board_between(datetime(2026, 4, 1), datetime(2026, 10, 1))
    assert board.quarters == ["2026 Q2", "2026 Q3"]
    assert all(sum(counts.values()) == 0 for quarter in board.quarters
               for counts in board.feedback_by_quarter[quarter].values())
    assert all(sum(counts.values()) == 0 for counts in board.wishes_achieved.values())
    assert quarter_name(2026, 3) == "2026 Q3"


def _both_ways(since: Optional[datetime] = None, until: Optional[datetime] = None) -> None:
    by_sql = compute_board_between(since, until)
    by_hand = compute_board(records.export_records(since=since, until=until), since, until)
    assert by_sql == by_hand


def test_sql_equals_the_python_reference_on_a_seeded_database(store: str) -> None:
    result = demo.seed_demo(300, seed=11, now=NOW)
    assert result.enquiries == 300
    _write(_quarters_apart())
    with session_scope() as session:  # take away some wishes of finished reviews
        rows = session.execute(
            select(Outcome.id).join(Conversation, Conversation.id == Outcome.conversation_pk)
            .where(Conversation.stage == R, Conversation.status == DONE).order_by(Outcome.id).limit(60)
        ).scalars().all()
        session.execute(update(Outcome).where(Outcome.id.in_(rows[::3])).values(
            withdrawn_at=NOW, withdrawn_reason=c.WITHDRAWN_BY_PERSON))
    everything = compute_board_between()
    assert len(everything.quarters) >= 12 and sum(everything.wishes_achieved[c.FEEL_SAFER].values()) > 10
    _both_ways()
    for start, end in ((NOW - timedelta(days=365), None), (None, NOW - timedelta(days=400)),
                       (datetime(2026, 4, 1), datetime(2026, 7, 1))):
        _both_ways(start, end)
