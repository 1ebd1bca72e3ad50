"""Erasing an enquiry or a conversation from the workspace (managers only).

GET `/review/erase?enquiry=REF` (or `?conversation=ID`) shows what will be
removed, in counts, and asks for the reference to be typed back (or, for a
conversation, whose id nobody should have to type, a box to be ticked). The
POST erases (`bot.store.privacy.erase`, audited as the signed-in manager with
the request's address) and shows what was removed. CSRF protection is the
app's, as on every form.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from flask import abort, current_app, render_template, request

from bot.store import privacy
from bot.web.workspace import current_user, manager_only, review
from bot.web.workspace.forms import EraseForm
from bot.web.workspace.forms import errors as form_errors


def _tracker_url() -> str:
    return str(current_app.config["MSP_SETTINGS"].tracker_store_url)


@review.route("/erase", methods=["GET", "POST"])
@manager_only
def erase_page() -> Any:
    enquiry: Optional[str] = (request.values.get("enquiry") or "").strip()[:64] or None
    conversation: Optional[str] = (request.values.get("conversation") or "").strip()[:255] or None
    if (enquiry is None) == (conversation is None):
        abort(400)
    try:
        plan = privacy.plan_erasure(enquiry, conversation, tracker_store_url=_tracker_url())
    except privacy.ErasureRefused as problem:
        return render_template("review/erase.html", plan=None, refused=str(problem), enquiry=enquiry,
                               conversation=conversation, errors={}), 409
    if not plan.found:
        abort(404)
    errors: Dict[str, str] = {}
    form = EraseForm(enquiry)
    if form.is_submitted():
        errors = {} if form.validate() else form_errors(form)
        if not errors:
            try:
                done = privacy.erase(enquiry, conversation, actor=current_user().email,
                                     address=request.remote_addr, tracker_store_url=_tracker_url())
            except privacy.ErasureRefused as problem:
                return render_template("review/erase.html", plan=None, refused=str(problem), enquiry=enquiry,
                                       conversation=conversation, errors={}), 409
            return render_template("review/erased.html", done=done)
    return render_template("review/erase.html", plan=plan, refused=None, enquiry=enquiry,
                           conversation=conversation, errors=errors), (400 if errors else 200)
