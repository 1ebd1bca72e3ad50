"""The report page and its chart."""

from __future__ import annotations

from typing import Any

from tests.web.workspace.views.helpers import a_conversation, actions


def test_report_page_and_chart(client: Any) -> None:
    a_conversation()
    page = client.get("/review/report?from=2020-01-01&to=2030-12-31").get_data(as_text=True)
    assert "Asked what they wanted (SG4a)" in page and "Outcomes achieved (SG4a)" in page
    chart = client.get("/review/report/chart.png?from=2020-01-01&to=2030-12-31")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/review/report?from=2026-13-45").status_code == 400
    assert "report" in actions()


def test_the_reports_wish_table_has_the_right_headings(client: Any) -> None:
    a_conversation()
    page = client.get("/review/report").get_data(as_text=True)
    table = page[page.index("What people wanted"):]
    table = table[:table.index("</table>")]
    assert '<th scope="col" class="govuk-table__header">What they wanted</th>' in table
    assert "Answer</th>" not in table and "times each wish was given" not in table
    flags = page[page.index("Flags raised"):]
    assert '<th scope="col" class="govuk-table__header">Flag</th>' in flags and "Records</th>" in flags


def test_the_board_figures_are_in_tables_under_their_chart(client: Any) -> None:
    from bot import constants as c
    from tests.store.test_report_sql import _write
    from tests.test_report import rec

    _write([rec("r1", c.STAGE_REVIEW, c.STATUS_COMPLETED, "E1", "2026-06-30T23:30:00Z",
                feedback={c.GOALS_MET: c.YES, c.HAPPIER: c.DECLINED},
                outcomes=[(c.FEEL_SAFER, c.FULLY), (c.POLICE_PROSECUTE, c.NOT)])])
    page = client.get("/review/report?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    board = page[page.index('<h2 class="govuk-heading-m" id="by-quarter">'):]
    assert "Quarters are calendar quarters in UK time" in board
    # The chart, with a text alternative that points to the tables, then one table per question.
    assert 'src="/review/report/board.png?from=2026-01-01&amp;to=2026-12-31"' in board
    assert "from 2026 Q1 to 2026 Q4" in board and "The same figures are in the tables below." in board
    assert board.index("<figure") < board.index("Got what they wanted: answers by quarter")
    goals = board[board.index("Got what they wanted: answers by quarter"):]
    goals = goals[:goals.index("</table>")]
    assert '<th scope="col" class="govuk-table__header">Quarter</th>' in goals
    assert goals.count('<tr class="govuk-table__row"><th scope="row"') == 4  # empty quarters shown too
    q3 = goals[goals.index("2026 Q3"):]
    assert "July to September 2026" in q3
    assert [cell.split("<")[0] for cell in q3.split('numeric">')[1:8]] == ["1", "0", "0", "0", "0", "0", "1"]
    wishes = board[board.index("Wishes fully, partly or not achieved"):]
    safer = wishes[wishes.index("For the abuse to stop"):]
    assert "1 (100%)" in safer[:safer.index("</tr>")]
    chart = client.get("/review/report/board.png?from=2026-01-01&to=2026-12-31")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/review/report/board.png?to=2026-02-30").status_code == 400


def test_the_board_says_when_no_one_gave_feedback(client: Any) -> None:
    page = client.get("/review/report?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    assert "No one gave feedback in this period." in page
    assert page.count("answers by quarter") == 6
