"""The audit log (managers only): who saw or did what in the workspace and the `msp` command, and when."""

from __future__ import annotations

from flask import render_template

from bot.store import audit as audit_store
from bot.web.workspace import forms, manager_only, review


@review.get("/audit")
@manager_only
def audit_log() -> str:
    form = forms.AuditFilters()
    page, action = form.page_number, form.chosen_action
    found = audit_store.list_events(page=page, per_page=50, action=action)
    return render_template("review/audit.html", found=found, action=action or "")
