"""The report: the MSP figures (NHS England's SG4a) between two dates, the board's figures, and their charts.

The figures are computed, labelled and drawn by bot/report/; these views
check the dates and render. Viewing the figures is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional, Tuple

from flask import Response, abort, render_template, request

from bot.report import board_render
from bot.report import render as labels
from bot.web.workspace import audit, forms, review
from bot.web.workspace.views.shared import dates


def _period(form: forms.ReportForm) -> Tuple[Optional[datetime], Optional[datetime]]:
    """From the start of the first day to the end of the last (the report counts up to `until`)."""
    since, until = dates(form)
    return since, until + timedelta(days=1) if until else None


@review.get("/report")
def report() -> Any:
    from bot.report.board import compute_board_between
    from bot.report.board_render import board_to_dict
    from bot.report.compute import compute_report_between
    from bot.report.render import report_to_dict

    form = forms.ReportForm()
    errors = {} if form.validate() else forms.errors(form)
    figures = board = None
    if not errors:
        period = _period(form)
        figures = report_to_dict(compute_report_between(*period))
        board = board_to_dict(compute_board_between(*period))
        audit("report", f"from={request.args.get('from') or '-'} to={request.args.get('to') or '-'} web")
    page = render_template("review/report.html", figures=figures, board=board, errors=errors,
                           values=request.args, labels=labels, board_labels=board_render)
    return page, (400 if errors else 200)


def _checked_period() -> Tuple[Optional[datetime], Optional[datetime]]:
    form = forms.ReportForm()
    if not form.validate():
        abort(400)
    return _period(form)


@review.get("/report/chart.png")
def report_chart() -> Any:
    from bot.report.chart import chart_png
    from bot.report.compute import compute_report_between

    return Response(chart_png(compute_report_between(*_checked_period())), mimetype="image/png")


@review.get("/report/board.png")
def report_board_chart() -> Any:
    from bot.report.board import compute_board_between
    from bot.report.board_chart import board_chart_png

    return Response(board_chart_png(compute_board_between(*_checked_period())), mimetype="image/png")
