"""The first page: urgent alerts first, then the messages worth a look; acknowledging and marking as read.

An alert is acknowledged, and a message marked as read, in the store's own
transaction with its audit entry. Either may have been erased since the page
was loaded: that gets a plain "not found", never a crash.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from bot.store import alerts as alert_store
from bot.store import attention
from bot.web.workspace import _problem, audit, current_user, forms, review
from bot.web.workspace.views.shared import notify
from bot.web.workspace.views.words import KIND_WORDS, REASON_WORDS

MARKS_SHOWN = 50  # the "worth a look" list on the first page, the newest first; the count is of them all


def waited(seconds: float) -> str:
    """ "3 hours 5 minutes": how long an alert has waited, in plain words."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    units = ((days, "day"), (hours, "hour"), (minutes, "minute"))
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    return " ".join(parts[:2])


@review.get("/")
def alerts() -> str:
    found = attention.open_alerts()
    to_read = attention.marks_to_read(limit=MARKS_SHOWN)
    return render_template("review/alerts.html", alerts=found, waited=waited, reason_words=REASON_WORDS,
                           to_read=to_read, to_read_count=attention.count_marks_to_read(),
                           kind_words=KIND_WORDS)


@review.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int) -> Any:
    if not forms.ActionForm().validate():
        abort(400)
    user = current_user()
    if alert_store.acknowledge(alert_id, user.email):
        audit("acknowledge", f"alert={alert_id}")
        state = attention.alert_state(alert_id)
        notify({"done": "acknowledged", "enquiry": state.enquiry_ref if state else None})
        return redirect(url_for(".alerts"), code=303)
    state = attention.alert_state(alert_id)
    if state is None:  # never was, or erased since the page was loaded
        return _problem("no_alert", 404)
    notify({"done": "already_acknowledged", "enquiry": state.enquiry_ref, "by": state.acknowledged_by,
            "at": state.acknowledged_at.isoformat() if state.acknowledged_at else None}, "info")
    return redirect(url_for(".alerts"), code=303)


@review.post("/marks/<int:mark_id>/read")
def mark_read(mark_id: int) -> Any:
    """A practitioner has read a message worth a look. Back to the first page, or to the conversation."""
    form = forms.MarkReadForm()
    if not form.validate():
        abort(400)
    done = attention.mark_read(mark_id, current_user().email, address=request.remote_addr)  # audited with it
    if done.result == attention.NO_MARK:  # never was, or erased since the page was loaded
        return _problem("no_mark", 404)
    if form.back.data == "conversation" and done.conversation_id:
        target = url_for(".conversation", conversation_id=done.conversation_id)
    else:
        target = url_for(".alerts")
    if done.result == attention.MARK_READ:
        notify({"done": "mark_read", "enquiry": done.enquiry_ref})
    else:
        notify({"done": "mark_already_read", "enquiry": done.enquiry_ref, "by": done.read_by,
                "at": done.read_at.isoformat() if done.read_at else None}, "info")
    return redirect(target, code=303)
