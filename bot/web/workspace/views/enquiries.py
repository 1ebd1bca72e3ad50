"""Enquiries and their conversations: the list, one conversation's records and transcript, and corrections.

A conversation page shows each stage's record beside the transcript (read
from Rasa's tracker store), with the marks and alerts at the messages that
raised them. Correcting a wish's code, or setting it aside as not a wish, is
audited in the store's own transaction; the person's words never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from flask import abort, redirect, render_template, request, url_for

from bot import constants as c
from bot.store import checkins, corrections
from bot.store import workspace as store
from bot.store.transcripts import Turn, answer_turn, read_transcript
from bot.web.workspace import _settings, audit, current_user, forms, review, times
from bot.web.workspace.views.shared import notify
from bot.web.workspace.views.words import (
    ANSWER_WORDS,
    CODE_WORDS,
    CONTACT_ANSWER_WORDS,
    FLAG_WORDS,
    KIND_WORDS,
    QUESTION_WORDS,
    REASON_WORDS,
    ROLE_WORDS,
    STAGE_WORDS,
    STATUS_WORDS,
    TIER_WORDS,
)

PER_PAGE = 25


@review.get("/enquiries")
def enquiries() -> str:
    form = forms.EnquiryFilters()
    search, page = form.search, form.page_number
    status, flag = form.chosen(form.status, STATUS_WORDS), form.chosen(form.flag, FLAG_WORDS)
    found = store.list_enquiries(search=search, status=status, flag=flag, page=page, per_page=PER_PAGE)
    return render_template("review/enquiries.html", found=found, search=search or "", status=status or "",
                           flag=flag or "", status_words=STATUS_WORDS, flag_words=FLAG_WORDS,
                           stage_words=STAGE_WORDS)


# --- a conversation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SafeNowNote:
    """A record says "safe now: yes" and has an urgent flag: which came later.

    `order`: "before" or "after" (the answer, against the first message that
    showed danger), "same" (one message did both), or "unknown".
    """

    said_at: Optional[datetime]
    danger_at: Optional[datetime]
    order: str

    @property
    def same_day(self) -> bool:
        said, danger = times.as_uk(self.said_at), times.as_uk(self.danger_at)
        return bool(said and danger and said.date() == danger.date())


def safe_now_note(page: store.RecordPage, turns: Sequence[Turn]) -> Optional[SafeNowNote]:
    """For a record with an urgent flag whose "safe now" answer is yes; else None.

    The answer's time is its turn in the transcript (the question it answered:
    feels_safe_now, or else the gentle check); danger's is the turn of the
    first message marked clear or that raised the urgent alert, or else the
    mark's or alert's own time. Turns are compared by their order in the
    transcript, which a same-second timestamp cannot confuse.
    """
    record = page.record
    if not record["flags"].get(c.FLAG_URGENT_SAFETY) or record["answers"].get(c.FEELS_SAFE_NOW) != c.YES:
        return None
    said = answer_turn(turns, c.FEELS_SAFE_NOW) or answer_turn(turns, c.SAFETY_CHECK, last=False)
    danger_id = page.danger_message_id
    danger = next((t for t in turns if danger_id and t.message_id == danger_id), None)
    said_at = said.at if said else None
    danger_at = danger.at if danger and danger.at else page.danger_at
    if said is not None and danger is not None:
        where = {id(t): n for n, t in enumerate(turns)}
        first, second = where[id(said)], where[id(danger)]
        order = "same" if first == second else ("before" if first < second else "after")
    elif said_at and danger_at and said_at != danger_at:
        order = "before" if said_at < danger_at else "after"
    else:
        order = "unknown"
    return SafeNowNote(said_at, danger_at, order)


@review.get("/conversations/<conversation_id>")
def conversation(conversation_id: str) -> str:
    pages = store.conversation_page(conversation_id)
    turns = read_transcript(_settings().tracker_store_url, conversation_id)
    if not pages and not turns:
        abort(404)
    audit("view", f"conversation={conversation_id}")
    marks: Dict[str, List[store.MarkView]] = {}
    raised: Dict[str, List[store.AlertLine]] = {}
    for page in pages:
        for mark in page.marks:
            if mark.message_id:
                marks.setdefault(mark.message_id, []).append(mark)
        for alert in page.alerts:
            if alert.message_id:
                raised.setdefault(alert.message_id, []).append(alert)
    in_transcript = {t.message_id for t in turns if t.message_id}
    refs = sorted({page.record["enquiry_ref"] for page in pages if page.record["enquiry_ref"]})
    return render_template(
        "review/conversation.html", conversation_id=conversation_id, pages=pages, turns=turns,
        marks=marks, raised=raised, in_transcript=in_transcript,
        safe_now={page.record["stage"]: safe_now_note(page, turns) for page in pages},
        last_checkin={ref: checkins.last_checkin(ref) for ref in refs},
        wish_timeline={ref: checkins.timeline(ref) for ref in refs},
        codes=CODE_WORDS, stage_words=STAGE_WORDS, status_words=STATUS_WORDS, flag_words=FLAG_WORDS,
        answer_words=ANSWER_WORDS, question_words=QUESTION_WORDS, role_words=ROLE_WORDS,
        tier_words=TIER_WORDS, reason_words=REASON_WORDS, contact_words=CONTACT_ANSWER_WORDS,
        kind_words=KIND_WORDS)


# --- corrections to a wish ---------------------------------------------------------------------


def _confirm(done: str, conversation_id: str, stage: str, index: int, **more: Any) -> Any:
    """Back to the conversation, where a banner at the top says what was done, with a link to the wish."""
    notify({"done": done, "wish": index + 1, "anchor": f"wish-{stage}-{index}", **more})
    return redirect(url_for(".conversation", conversation_id=conversation_id), code=303)


@review.post("/conversations/<conversation_id>/<stage>/outcomes/<int:index>")
def correct(conversation_id: str, stage: str, index: int) -> Any:
    form = forms.CorrectForm()
    if stage not in c.STAGES or not form.validate():
        abort(400)
    to_code = form.code.data
    try:
        changed = corrections.recode(conversation_id, stage, index, to_code, current_user().email,
                                     address=request.remote_addr)  # audited in the same transaction
    except ValueError:
        abort(400)
    return _confirm("recoded" if changed else "unchanged", conversation_id, stage, index, code=to_code)


@review.post("/conversations/<conversation_id>/<stage>/outcomes/<int:index>/not-a-wish")
def not_a_wish(conversation_id: str, stage: str, index: int) -> Any:
    if stage not in c.STAGES or not forms.ActionForm().validate():
        abort(400)
    try:
        changed = corrections.set_aside(conversation_id, stage, index, current_user().email,
                                        address=request.remote_addr)  # audited in the same transaction
    except ValueError:
        abort(400)
    return _confirm("set_aside" if changed else "already_withdrawn", conversation_id, stage, index)
