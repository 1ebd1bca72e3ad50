"""The workspace shows stored times (naive UTC) in UK time, in plain words."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from bot.web.workspace.times import clock, uk_time

NOW = datetime(2026, 12, 7, 20, 0)  # Monday 7 December 2026, 8pm (GMT: UK time is UTC)


@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 12, 7, 15, 15), "today, 3:15pm"),
    (datetime(2026, 12, 6, 9, 2), "yesterday, 9:02am"),
    (datetime(2026, 12, 1, 15, 15), "Tue 1 Dec 2026, 3:15pm"),
    # British Summer Time: an hour ahead of UTC, and past midnight is the next day.
    (datetime(2026, 7, 1, 14, 15), "Wed 1 Jul 2026, 3:15pm"),
    (datetime(2026, 6, 30, 23, 30), "Wed 1 Jul 2026, 12:30am"),
    (datetime(2026, 7, 1, 11, 0), "Wed 1 Jul 2026, midday"),
    (datetime(2026, 6, 30, 23, 0), "Wed 1 Jul 2026, midnight"),
    # The contract's text and aware times read the same.
    ("2026-12-07T15:15:00Z", "today, 3:15pm"),
    (datetime(2026, 12, 7, 15, 15, tzinfo=timezone.utc), "today, 3:15pm"),
    (None, ""),
    ("not a time", ""),
])
def test_uk_time(moment: Any, expected: str) -> None:
    assert uk_time(moment, NOW) == expected


def test_today_is_the_uk_day() -> None:
    # 11:30pm UTC on 30 June is already 1 July in the UK: "today" there, at 12:30am.
    assert uk_time(datetime(2026, 6, 30, 23, 30), now=datetime(2026, 7, 1, 9, 0)) == "today, 12:30am"


def test_clock() -> None:
    assert clock(datetime(2026, 12, 7, 9, 5)) == "9:05am"
    assert clock(datetime(2026, 7, 7, 9, 5)) == "10:05am"
    assert clock(None) == ""
