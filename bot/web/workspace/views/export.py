"""Export: the structured records as CSV or JSON (the record contract), streamed, and audited.

The formats are the report's (bot/report/export.py, with its guard against
spreadsheet formulas); this view only checks the form and streams.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, render_template, request, stream_with_context

from bot.report import export as export_text
from bot.web.workspace import audit, forms, review
from bot.web.workspace.views.shared import dates


@review.get("/export")
def export_page() -> str:
    return render_template("review/export.html", errors={}, values={})  # the empty ExportForm


@review.get("/export/download")
def export_download() -> Any:
    form = forms.ExportForm()
    if not form.validate():
        return render_template("review/export.html", errors=forms.errors(form), values=request.args), 400
    fmt = form.format.data
    since, until = dates(form)
    enquiry = (form.enquiry.data or "")[:64] or None
    if until:
        until = until + timedelta(days=1)  # "to" includes its whole day
    audit("export", f"format={fmt} enquiry={enquiry or '*'} from={request.args.get('from') or '-'} "
                    f"to={request.args.get('to') or '-'}")
    stream = export_text.stream_json if fmt == "json" else export_text.stream_csv
    body = stream_with_context(stream(enquiry_ref=enquiry, since=since, until=until))
    name = f"msp-export-{datetime.utcnow():%Y%m%d-%H%M}.{fmt}"
    mimetype = "application/json" if fmt == "json" else "text/csv"
    disposition = f'attachment; filename="{name}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
