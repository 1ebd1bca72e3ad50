"""The SG3a-style advocacy figure in SQL (bot/report/advocacy.py), on SQLite and PostgreSQL, and in `msp report`."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot import constants as c
from bot.cli.report import run_report
from bot.report.advocacy import compute_advocacy_between
from bot.store import advocacy, records

OUT, R = c.STAGE_OUTCOMES, c.STAGE_REVIEW
HARD = [c.DIFFICULTY_NOT_UNDERSTOOD]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _enquiries() -> None:
    """Five enquiries (hand-worked figures in the test below)."""
    # E1: struggled at the start, offered, said yes, referred; its review (no signs) is the same enquiry.
    records.start_conversation("e1-o", OUT, "NR-1", c.ROLE_PERSON)
    advocacy.note_difficulty("e1-o", OUT, HARD, offered=True)
    advocacy.answer_offer("e1-o", OUT, c.YES)
    advocacy.record_decision("e1-o", OUT, c.ADVOCACY_REFERRED, "sw", referred_on=date(2026, 12, 1), organisation="X")
    records.start_conversation("e1-r", R, "NR-1", c.ROLE_PERSON)
    # E2: struggled, offered, said no, not decided yet.
    records.start_conversation("e2-o", OUT, "NR-2", c.ROLE_PERSON)
    advocacy.note_difficulty("e2-o", OUT, HARD, offered=True)
    advocacy.answer_offer("e2-o", OUT, c.NO)
    # E3: a family member said she cannot answer; no offer made; no referral needed (an appropriate person).
    records.start_conversation("e3-o", OUT, "NR-3", c.ROLE_FAMILY_FRIEND)
    advocacy.note_difficulty("e3-o", OUT, [c.DIFFICULTY_ANSWERED_FOR_THEM])
    advocacy.record_decision("e3-o", OUT, c.ADVOCACY_NOT_NEEDED, "sw", no_referral_reason="appropriate_person")
    # E4: asked for an advocate, no signs of difficulty: not in this figure.
    records.start_conversation("e4-o", OUT, "NR-4", c.ROLE_PERSON)
    records.set_flag("e4-o", OUT, c.FLAG_ADVOCACY_REQUESTED)
    # E5: no reference: counts on its own; offered, no answer; asked for one anyway.
    records.start_conversation("e5-o", OUT, None, c.ROLE_PERSON)
    advocacy.note_difficulty("e5-o", OUT, [c.DIFFICULTY_READING], offered=True)
    records.set_flag("e5-o", OUT, c.FLAG_ADVOCACY_REQUESTED)


EXPECTED = {"had_difficulty": 4, "offered": 3, "taken_up": 2, "supported": 1, "referred": 1, "not_needed": 1,
            "not_decided": 2}


def test_the_figure_is_counted_in_sql_one_per_enquiry(store: str) -> None:
    _enquiries()
    assert compute_advocacy_between() == EXPECTED
    later = datetime.utcnow() + timedelta(days=1)
    assert compute_advocacy_between(since=later) == dict.fromkeys(EXPECTED, 0)


def test_msp_report_shows_it_in_every_format(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    _enquiries()

    def report(fmt: str) -> Any:
        assert run_report(argparse.Namespace(date_from=None, date_to=None, format=fmt, chart=None)) == 0
        return capsys.readouterr().out

    figure = json.loads(report("json"))["advocacy"]
    assert {k: v for k, v in figure.items() if k != "note"} == EXPECTED
    assert "never judges" in figure["note"]
    assert "advocacy,had_difficulty,4\n" in report("csv") and "advocacy,not_decided,2\n" in report("csv")
    table = report("table")
    assert "Advocacy where taking part was hard (SG3a-style)" in table
    assert "Offered an advocate" in table
