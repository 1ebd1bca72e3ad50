"""`msp report` prints the board's figures after SG4a's: feedback by UK quarter and the wishes achieved
by code, as a table, CSV rows or JSON keys, and draws their chart with --board-chart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot import constants as c
from bot.cli.main import main
from tests.store.test_report_sql import _write
from tests.test_report import PNG_SIGNATURE, fb, rec

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")
R, DONE = c.STAGE_REVIEW, c.STATUS_COMPLETED


@pytest.fixture
def reviews(record_db: str) -> None:
    """Two finished reviews: 00:30 on 1 July in the UK (2026 Q3), and one in 2026 Q1."""
    _write([
        rec("r1", R, DONE, "E1", "2026-06-30T23:30:00Z", feedback={c.GOALS_MET: c.YES, c.HAPPIER: c.DECLINED},
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.POLICE_PROSECUTE, c.NOT)]),
        rec("r2", R, DONE, "E2", "2026-02-10T10:00:00Z", feedback={c.GOALS_MET: c.NO},
            outcomes=[(c.FEEL_SAFER, c.PARTLY)]),
    ])


def test_the_table_has_the_quarters_and_the_wishes_after_sg4a(reviews: None, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    assert main(["report", "--from", "2026-01-01", "--to", "2026-12-31"]) == 0
    out = capsys.readouterr().out
    assert out.index("Outcomes achieved (SG4a)") < out.index("What people said at the end, by quarter") \
        < out.index("How often each kind of wish came true")
    lines = out.splitlines()
    goals = lines.index("  Got what they wanted")
    assert [line.split()[:2] for line in lines[goals + 2:goals + 6]] == [
        ["2026", "Q1"], ["2026", "Q2"], ["2026", "Q3"], ["2026", "Q4"]]  # the whole year, empty quarters too
    assert lines[goals + 2].split()[2:] == ["0", "0", "1", "0", "0", "0", "1"]
    assert lines[goals + 3].split()[2:] == ["0"] * 7
    assert lines[goals + 4].split()[2:] == ["1", "0", "0", "0", "0", "0", "1"]
    wishes = lines[lines.index("How often each kind of wish came true"):]
    safer = next(line for line in wishes if line.strip().startswith("For the abuse to stop"))
    assert safer.split()[-9:] == ["2", "1", "50%", "1", "50%", "0", "0%", "0", "0"]


def test_csv_has_one_header_and_the_boards_rows(reviews: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows.count(["section", "item", "value"]) == 1
    assert ["feedback_by_quarter.2026 Q3.happier", "declined", "1"] in rows
    assert ["wishes_achieved.police_prosecute", "not", "1"] in rows
    assert ["wishes_achieved_share.feel_safer", "partly", "0.5"] in rows


def test_json_has_the_boards_keys(reviews: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quarters"] == ["2026 Q1", "2026 Q2", "2026 Q3"]  # no period: first to last with feedback
    assert data["feedback_by_quarter"]["2026 Q3"][c.GOALS_MET] == fb(1, 0, 0, 0, 0, 0)
    assert data["feedback_by_quarter"]["2026 Q2"][c.GOALS_MET] == fb(0, 0, 0, 0, 0, 0)
    assert data["wishes_achieved"][c.FEEL_SAFER] == {"fully": 1, "partly": 1, "not": 0, "dont_know": 0,
                                                     "not_answered": 0}
    assert data["outcomes_achieved"]["fully"] == 0 and data["records"] == 2  # SG4a's figures are still there


def test_board_chart_is_written(reviews: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "board.png"
    assert main(["report", "--board-chart", str(path)]) == 0
    assert f"Chart written to {path}" in capsys.readouterr().err
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert main(["report", "--board-chart", str(tmp_path / "missing" / "board.png")]) == 1
    assert "Could not write the chart to" in capsys.readouterr().err


def test_no_records_no_board_sections(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "no records for this period" in out and "by quarter" not in out
