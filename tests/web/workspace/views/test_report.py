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
