"""The board's figures from contract records (bot/report/board.py's plain-Python reference), and how
they are shown: the text table, the CSV rows, the JSON dictionary and the chart."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from bot import constants as c
from bot.report.board import compute_board, quarters_to_show, uk_quarter, wish_shares
from bot.report.board_chart import board_chart_png
from bot.report.board_render import board_to_dict, quarter_words, render_board_csv, render_board_table
from tests.test_report import ALL_DECLINED, PNG_SIGNATURE, fb, rec, withdrawn

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")
R, DONE, PAUSED, GOING = c.STAGE_REVIEW, c.STATUS_COMPLETED, c.STATUS_PAUSED, c.STATUS_IN_PROGRESS


def _records() -> list:
    return [
        rec("a", R, DONE, "E1", "2026-07-01T08:00:00Z", feedback={c.GOALS_MET: c.YES},
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.ACCESS_SUPPORT, c.NOT)]),
        # A wish taken away, answered fully: never counted.
        withdrawn(rec("b", R, DONE, "E2", "2026-09-30T23:30:00Z", feedback=ALL_DECLINED,
                      outcomes=[(c.FEEL_SAFER, c.PARTLY)]), c.MAKE_FRIENDS, c.FULLY),
        rec("c", R, GOING, "E3", "2026-08-01T08:00:00Z", feedback={c.GOALS_MET: c.NO},
            outcomes=[(c.FEEL_SAFER, c.NOT)]),  # in progress: counted nowhere
        rec("d", R, DONE, "E4", "2026-08-01T08:00:00Z", outcomes=[(c.FEEL_SAFER, "sort of")]),
    ]


def test_the_reference_counts_by_uk_quarter_and_skips_wishes_taken_away() -> None:
    board = compute_board(_records())
    assert board.quarters == ["2026 Q3", "2026 Q4"]  # "b" is 00:30 on 1 October in the UK
    assert board.feedback_by_quarter["2026 Q3"][c.GOALS_MET] == fb(1, 0, 0, 0, 0, 1)
    assert board.feedback_by_quarter["2026 Q4"] == {q: fb(0, 0, 0, 0, 1, 0) for q in c.FEEDBACK_QUESTIONS}
    assert board.wishes_achieved[c.FEEL_SAFER] == {"fully": 1, "partly": 1, "not": 0, "dont_know": 0,
                                                   "not_answered": 1}  # "sort of" is not an answer
    assert board.wishes_achieved[c.ACCESS_SUPPORT]["not"] == 1
    assert sum(board.wishes_achieved[c.MAKE_FRIENDS].values()) == 0


def test_quarters_shown_fill_the_period_and_the_gaps() -> None:
    assert quarters_to_show([], None, None) == []
    assert quarters_to_show([(2026, 1), (2026, 4)], None, None) == [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    # --from 2026-04-01 --to 2027-03-31: the financial year's four quarters, even with no feedback.
    assert quarters_to_show([], datetime(2026, 4, 1), datetime(2027, 4, 1)) == [
        (2026, 2), (2026, 3), (2026, 4), (2027, 1)]
    assert quarters_to_show([(2026, 3)], datetime(2026, 1, 1), None) == [(2026, 1), (2026, 2), (2026, 3)]
    assert uk_quarter(datetime(2026, 3, 31, 23, 0)) == (2026, 2)  # midnight, 1 April, in summer time
    assert uk_quarter(datetime(2026, 3, 31, 22, 59)) == (2026, 1)


def test_shares_are_of_the_wishes_answered_fully_partly_or_not() -> None:
    counts = {"fully": 2, "partly": 1, "not": 1, "dont_know": 5, "not_answered": 3}
    assert wish_shares(counts) == {"fully": 0.5, "partly": 0.25, "not": 0.25}
    assert wish_shares({"fully": 0, "partly": 0, "not": 0, "dont_know": 2, "not_answered": 0}) == {
        "fully": None, "partly": None, "not": None}


def test_renderings_carry_the_same_figures() -> None:
    board = compute_board(_records())
    data = board_to_dict(board)
    json.dumps(data)
    assert data["quarters"] == ["2026 Q3", "2026 Q4"]
    assert data["feedback_by_quarter"]["2026 Q4"][c.HAPPIER] == fb(0, 0, 0, 0, 1, 0)
    assert data["wishes_achieved_shares"][c.FEEL_SAFER] == {"fully": 0.5, "partly": 0.5, "not": 0.0}
    assert data["wishes_achieved_shares"][c.MAKE_FRIENDS] == {"fully": None, "partly": None, "not": None}

    rows = list(csv.reader(io.StringIO(render_board_csv(board))))
    assert all(len(row) == 3 for row in rows)
    assert ["feedback_by_quarter.2026 Q4.happier", "declined", "1"] in rows
    assert ["wishes_achieved.feel_safer", "not_answered", "1"] in rows
    assert ["wishes_achieved_share.feel_safer", "fully", "0.5"] in rows
    assert ["wishes_achieved_share.make_friends", "fully", ""] in rows

    table = render_board_table(board)
    assert "What people said at the end, by quarter" in table and "UK time" in table
    lines = table.splitlines()
    goals = lines.index("  Got what they wanted")
    assert lines[goals + 2].split() == ["2026", "Q3", "1", "0", "0", "0", "0", "1", "2"]
    safer = next(line for line in lines if line.strip().startswith("For the abuse to stop"))
    assert safer.split()[-9:] == ["3", "1", "50%", "1", "50%", "0", "0%", "0", "1"]
    assert quarter_words("2026 Q3") == "July to September 2026"


def test_no_feedback_is_said_plainly() -> None:
    board = compute_board([])
    assert "No one gave feedback in this period." in render_board_table(board)
    assert board_to_dict(board)["feedback_by_quarter"] == {}


def test_chart_is_a_png_with_and_without_feedback() -> None:
    assert board_chart_png(compute_board(_records())).startswith(PNG_SIGNATURE)
    assert board_chart_png(compute_board([])).startswith(PNG_SIGNATURE)
