"""Invitations: a signed link for a person, an advocate or family to hold a stage's conversation.

The link is made and signed by bot/web/invitations.py and shown on this page;
the store records its id, enquiry, stage, role and who made it (not the
link), for the list of recent invitations. Making one is audited. "Send a
check-in" on a conversation page makes a check-in link for its enquiry the
same way, and shows it on this page.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from flask import abort, render_template

from bot import constants as c
from bot.store import invitations as invitation_store
from bot.web import invitations
from bot.web.workspace import _settings, audit, current_user, forms, review
from bot.web.workspace.views.words import ROLE_WORDS, STAGE_WORDS


@review.route("/invitations", methods=["GET", "POST"])
def invite() -> Any:
    link: Optional[str] = None
    errors: Dict[str, str] = {}
    form = forms.InvitationForm()
    if form.is_submitted():
        if not form.validate():
            errors = form.page_errors()
        else:
            link = _make_link(form.enquiry.data, form.stage.data, form.role.data)
    return _page(form, link, errors)


@review.post("/invitations/checkin")
def send_checkin() -> Any:
    """A check-in link for the person, for the enquiry of the conversation page the button is on."""
    sent = forms.CheckinForm()
    if not sent.validate():
        abort(400)
    form = forms.InvitationForm(formdata=None, data={"enquiry": sent.enquiry.data, "stage": c.STAGE_CHECKIN,
                                                     "role": c.ROLE_PERSON})
    return _page(form, _make_link(sent.enquiry.data, c.STAGE_CHECKIN, c.ROLE_PERSON), {})


def _make_link(enquiry_ref: str, stage: str, role: str) -> str:
    """A signed link, its invitation recorded (ids only) and audited."""
    settings = _settings()
    made = invitations.new_invitation(enquiry_ref, stage, role)
    link = invitations.link(made, settings.secret_key, settings.public_base_url)
    invitation_store.record_invitation(made.invite_id, made.enquiry_ref, made.stage, made.role,
                                       current_user().email)
    audit("invite", f"enquiry={made.enquiry_ref} stage={made.stage} role={made.role} invite={made.invite_id}")
    return link


def _page(form: Any, link: Optional[str], errors: Dict[str, str]) -> Any:
    recent = invitation_store.list_invitations(limit=20)
    return render_template("review/invitations.html", link=link, errors=errors, form=form, recent=recent,
                           stage_words=STAGE_WORDS, role_words=ROLE_WORDS,
                           max_age_days=_settings().invite_max_age_days), (400 if errors else 200)
