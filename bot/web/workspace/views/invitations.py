"""Invitations: a signed link for a person, an advocate or family to hold a stage's conversation.

The link is made and signed by bot/web/invitations.py and shown on this page;
the store records its id, enquiry, stage, role and who made it (not the
link), for the list of recent invitations. Making one is audited.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from flask import render_template

from bot.store import invitations as invitation_store
from bot.web import invitations
from bot.web.workspace import _settings, audit, current_user, forms, review
from bot.web.workspace.views.words import ROLE_WORDS, STAGE_WORDS


@review.route("/invitations", methods=["GET", "POST"])
def invite() -> Any:
    settings = _settings()
    link: Optional[str] = None
    errors: Dict[str, str] = {}
    form = forms.InvitationForm()
    if form.is_submitted():
        if not form.validate():
            errors = form.page_errors()
        else:
            made = invitations.new_invitation(form.enquiry.data, form.stage.data, form.role.data)
            link = invitations.link(made, settings.secret_key, settings.public_base_url)
            invitation_store.record_invitation(made.invite_id, made.enquiry_ref, made.stage, made.role,
                                               current_user().email)
            audit("invite", f"enquiry={made.enquiry_ref} stage={made.stage} role={made.role} "
                            f"invite={made.invite_id}")
    recent = invitation_store.list_invitations(limit=20)
    return render_template("review/invitations.html", link=link, errors=errors, form=form, recent=recent,
                           stage_words=STAGE_WORDS, role_words=ROLE_WORDS,
                           max_age_days=settings.invite_max_age_days), (400 if errors else 200)
