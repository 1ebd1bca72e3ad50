"""Advocacy: the records that need a referral decision, and the practitioner's decision (issue 18, part 2).

The assistant records signs that taking part is hard (reason codes) and
whether the person took up its offer of an advocate; a request for an
advocate needs a decision too. Whether the person lacks capacity, or has
substantial difficulty and no appropriate person to help (Care Act s67/s68),
is the practitioner's decision: they record the referral (date,
organisation) or why none is needed, audited in the store's transaction.
"""

from __future__ import annotations

from typing import Any, Dict

from flask import abort, redirect, render_template, request, url_for

from bot import constants as c
from bot.store import advocacy as store
from bot.web.workspace import current_user, forms, review
from bot.web.workspace.views.shared import notify
from bot.web.workspace.views.words import ROLE_WORDS, STAGE_WORDS

# For practitioners: why the assistant thinks taking part is hard (codes in patterns/difficulty.yml).
REASON_WORDS: Dict[str, str] = {
    c.DIFFICULTY_NOT_UNDERSTOOD: "Said again and again that they did not understand",
    c.DIFFICULTY_REPAIRS_IN_A_ROW: "Several requests in a row to explain, say why, or skip",
    c.DIFFICULTY_ANSWERS_DO_NOT_FIT: "Answers did not fit the question, again and again",
    c.DIFFICULTY_READING: "Said reading is hard",
    c.DIFFICULTY_REMEMBERING: "Said remembering is hard",
    c.DIFFICULTY_ANSWERED_FOR_THEM: "The family member or advocate said the person cannot answer",
}
NO_REFERRAL_WORDS: Dict[str, str] = {
    "appropriate_person": "An appropriate person supports them (not the person the concern is about)",
    "no_substantial_difficulty": "No substantial difficulty in being involved",
    "has_advocate": "They already have an independent advocate",
    "person_declined": "The person, able to decide, said no",
}
DECISION_WORDS = {c.ADVOCACY_REFERRED: "Referred for an advocate",
                  c.ADVOCACY_NOT_NEEDED: "No referral needed"}
OFFER_WORDS = {c.YES: "Yes, would like one", c.NO: "No", None: "Not answered"}


def _words() -> Dict[str, Any]:
    return {"reason_words": REASON_WORDS, "no_referral_words": NO_REFERRAL_WORDS,
            "decision_words": DECISION_WORDS, "offer_words": OFFER_WORDS, "role_words": ROLE_WORDS,
            "stage_words": STAGE_WORDS}


@review.get("/advocacy")
def advocacy_list() -> str:
    return render_template("review/advocacy.html", waiting=store.waiting(), decided=store.decided(),
                           **_words())


@review.route("/advocacy/<conversation_id>/<stage>", methods=["GET", "POST"])
def advocacy_decision(conversation_id: str, stage: str) -> Any:
    item = store.for_conversation(conversation_id).get(stage)
    if item is None:
        abort(404)
    form = forms.AdvocacyForm()
    errors: Dict[str, str] = {}
    if request.method == "POST":
        if form.validate_on_submit():
            store.record_decision(conversation_id, stage, form.decision.data, current_user().email,
                                  referred_on=form.referred_on.data, organisation=form.organisation.data,
                                  no_referral_reason=form.no_referral_reason.data,
                                  address=request.remote_addr)  # audited in the same transaction
            notify({"done": "advocacy_recorded", "enquiry": item.enquiry_ref or conversation_id})
            return redirect(url_for(".advocacy_list"), code=303)
        errors = forms.errors(form)
    return render_template("review/advocacy_decision.html", item=item, form=form, errors=errors,
                           **_words()), (400 if errors else 200)
