"""Records sent to the council's case system: what still waits, what keeps failing, and "Stop sending".

A push is never given up by the sender (bot/alerts/pushes.py), so one the
case system keeps refusing waits here until a practitioner stops it. The
first page says how many could not be sent yet (`pushes_waiting`, read only
by the pages that show it). Stopping is audited in the store's transaction,
with who and from where. Ids, versions and times only, never words.
"""

from __future__ import annotations

from typing import Any, Dict

from flask import abort, current_app, redirect, render_template, request, url_for

from bot import constants as c
from bot.alerts.pushes import ready
from bot.store import pushes
from bot.web.workspace import current_user, forms, review
from bot.web.workspace.views.shared import notify

RECENT_SHOWN = 20  # the newest pushes of any state, below the ones still to go


@review.context_processor
def push_counts() -> Dict[str, Any]:
    """`pushes_waiting()` for the first page's line; a function, so other pages never run its query."""
    return {"pushes_waiting": pushes.waiting}


@review.get("/pushes")
def record_pushes() -> str:
    waiting = sorted(pushes.list_pushes(state=c.PUSH_QUEUED),
                     key=lambda p: (not p.failing, p.queued_at))  # failing first, then the longest waiting
    recent = pushes.list_pushes(limit=RECENT_SHOWN)
    return render_template("review/pushes.html", waiting=waiting, recent=recent, summary=pushes.waiting(),
                           not_ready=ready(current_app.config["MSP_SETTINGS"]))


@review.post("/pushes/<int:push_id>/stop")
def stop_push(push_id: int) -> Any:
    if not forms.ActionForm().validate():
        abort(400)
    if pushes.stop(push_id, current_user().email, address=request.remote_addr):  # audited with it
        notify({"done": "push_stopped", "push": push_id})
    else:  # sent, superseded or stopped meanwhile, or erased
        notify({"done": "push_not_waiting", "push": push_id}, "info")
    return redirect(url_for(".record_pushes"), code=303)
