"""The report: the MSP figures (NHS England's SG4a) between two dates, and their chart.

The figures are computed, labelled and drawn by bot/report/; these views
check the dates and render. Viewing the figures is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, abort, render_template, request

from bot.report import render as labels
from bot.web.workspace import audit, forms, review
from bot.web.workspace.views.shared import dates


@review.get("/report")
def report() -> Any:
    from bot.report.compute import compute_report_between
    from bot.report.render import report_to_dict

    form = forms.ReportForm()
    errors = {} if form.validate() else forms.errors(form)
    since, until = dates(form)
    figures = None
    if not errors:
        figures = report_to_dict(compute_report_between(since, until + timedelta(days=1) if until else None))
        audit("report", f"from={request.args.get('from') or '-'} to={request.args.get('to') or '-'} web")
    return render_template("review/report.html", figures=figures, errors=errors, values=request.args,
                           labels=labels), (400 if errors else 200)


@review.get("/report/chart.png")
def report_chart() -> Any:
    from bot.report.chart import chart_png
    from bot.report.compute import compute_report_between

    form = forms.ReportForm()
    if not form.validate():
        abort(400)
    since, until = dates(form)
    png = chart_png(compute_report_between(since, until + timedelta(days=1) if until else None))
    return Response(png, mimetype="image/png")
