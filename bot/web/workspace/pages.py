"""The workspace's pages: urgent alerts first (and the messages worth a look), enquiries, a conversation,
invitations, export, report, audit.

Views are thin: they read the request, call the store or the report code,
audit what was seen or done, and render GOV.UK templates. Sign-in and roles
are enforced on the blueprint itself (bot/web/workspace/__init__.py), so a
new route here cannot forget them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from flask import (
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from bot import constants as c
from bot.report import export as export_text
from bot.report import render as labels
from bot.settings import Settings
from bot.store import alerts as alert_store
from bot.store import attention, corrections
from bot.store import audit as audit_store
from bot.store import invitations as invitation_store
from bot.store import workspace as store
from bot.store.transcripts import Turn, answer_turn, read_transcript
from bot.web import invitations
from bot.web.workspace import _problem, audit, current_user, forms, manager_only, now, review, times

PER_PAGE = 25
MARKS_SHOWN = 50  # the "worth a look" list on the first page, the newest first; the count is of them all


def _settings() -> Settings:
    return current_app.config["MSP_SETTINGS"]  # type: ignore[no-any-return]


def _dates(form: forms.DatesForm) -> Tuple[Optional[datetime], Optional[datetime]]:
    """A checked form's from and to, as the start of each day (the views make "to" include its day)."""
    since, until = form.since.data, form.until.data
    return (datetime.combine(since, datetime.min.time()) if since else None,
            datetime.combine(until, datetime.min.time()) if until else None)


# --- times: UK time, in plain words (bot/web/workspace/times.py) --------------------------------


@review.app_template_filter("uk_time")
def uk_time(moment: Any) -> str:
    """ "today, 3:15pm", "Mon 7 Dec 2026, 9:02am": a stored time (naive UTC) as a duty worker reads it."""
    return times.uk_time(moment, now())


@review.app_template_filter("uk_clock")
def uk_clock(moment: Any) -> str:
    """ "3:15pm": the time of day only, in UK time."""
    return times.clock(moment)


# --- notices: what the last action did, said once on the next page ------------------------------


def _notify(notice: Dict[str, Any], category: str = "success") -> None:
    """Ids and codes only (review/_notices.html has the words); Flask keeps it until the next page."""
    flash(json.dumps(notice), category)


def _notices() -> List[Tuple[str, Dict[str, Any]]]:
    found = []
    flashed: List[Tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    for category, message in flashed:
        try:
            notice = json.loads(message)
        except ValueError:
            continue
        if isinstance(notice, dict):
            found.append((category, notice))
    return found


@review.context_processor
def notices() -> Dict[str, Any]:
    return {"notices": _notices, "code_words": CODE_WORDS}


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


# --- 1. urgent first ---------------------------------------------------------------------------


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
        _notify({"done": "acknowledged", "enquiry": state.enquiry_ref if state else None})
        return redirect(url_for(".alerts"), code=303)
    state = attention.alert_state(alert_id)
    if state is None:  # never was, or erased since the page was loaded
        return _problem("no_alert", 404)
    _notify({"done": "already_acknowledged", "enquiry": state.enquiry_ref, "by": state.acknowledged_by,
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
        _notify({"done": "mark_read", "enquiry": done.enquiry_ref})
    else:
        _notify({"done": "mark_already_read", "enquiry": done.enquiry_ref, "by": done.read_by,
                 "at": done.read_at.isoformat() if done.read_at else None}, "info")
    return redirect(target, code=303)


# --- 2. enquiries ------------------------------------------------------------------------------


@review.get("/enquiries")
def enquiries() -> str:
    form = forms.EnquiryFilters()
    search, page = form.search, form.page_number
    status, flag = form.chosen(form.status, STATUS_WORDS), form.chosen(form.flag, FLAG_WORDS)
    found = store.list_enquiries(search=search, status=status, flag=flag, page=page, per_page=PER_PAGE)
    return render_template("review/enquiries.html", found=found, search=search or "", status=status or "",
                           flag=flag or "", status_words=STATUS_WORDS, flag_words=FLAG_WORDS,
                           stage_words=STAGE_WORDS)


# --- 3. a conversation -------------------------------------------------------------------------


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
    return render_template(
        "review/conversation.html", conversation_id=conversation_id, pages=pages, turns=turns,
        marks=marks, raised=raised, in_transcript=in_transcript,
        safe_now={page.record["stage"]: safe_now_note(page, turns) for page in pages},
        codes=CODE_WORDS, stage_words=STAGE_WORDS, status_words=STATUS_WORDS, flag_words=FLAG_WORDS,
        answer_words=ANSWER_WORDS, question_words=QUESTION_WORDS, role_words=ROLE_WORDS,
        tier_words=TIER_WORDS, reason_words=REASON_WORDS, contact_words=CONTACT_ANSWER_WORDS,
        kind_words=KIND_WORDS)


def _confirm(done: str, conversation_id: str, stage: str, index: int, **more: Any) -> Any:
    """Back to the conversation, where a banner at the top says what was done, with a link to the wish."""
    _notify({"done": done, "wish": index + 1, "anchor": f"wish-{stage}-{index}", **more})
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


# --- 4. invitations ----------------------------------------------------------------------------


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


# --- 5. export ---------------------------------------------------------------------------------


@review.get("/export")
def export_page() -> str:
    return render_template("review/export.html", errors={}, values={})  # the empty ExportForm


@review.get("/export/download")
def export_download() -> Any:
    form = forms.ExportForm()
    if not form.validate():
        return render_template("review/export.html", errors=forms.errors(form), values=request.args), 400
    fmt = form.format.data
    since, until = _dates(form)
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


# --- 6. report ---------------------------------------------------------------------------------


@review.get("/report")
def report() -> Any:
    from bot.report.compute import compute_report_between
    from bot.report.render import report_to_dict

    form = forms.ReportForm()
    errors = {} if form.validate() else forms.errors(form)
    since, until = _dates(form)
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
    since, until = _dates(form)
    png = chart_png(compute_report_between(since, until + timedelta(days=1) if until else None))
    return Response(png, mimetype="image/png")


# --- 7. audit (managers) -----------------------------------------------------------------------


@review.get("/audit")
@manager_only
def audit_log() -> str:
    form = forms.AuditFilters()
    page, action = form.page_number, form.chosen_action
    found = audit_store.list_events(page=page, per_page=50, action=action)
    return render_template("review/audit.html", found=found, action=action or "")


# --- words the pages show for codes: the report's, so a code reads the same everywhere ---------

STAGE_WORDS = labels.STAGE_LABELS
STATUS_WORDS = labels.STATUS_LABELS
FLAG_WORDS = labels.FLAG_LABELS
CODE_WORDS = labels.OUTCOME_LABELS
ROLE_WORDS = {c.ROLE_PERSON: "The person", c.ROLE_ADVOCATE: "An advocate",
              c.ROLE_FAMILY_FRIEND: "Family or a friend"}
QUESTION_WORDS = {
    c.CONSENT_TO_TALK: "OK to talk", c.SPEAKER_ROLE: "Who is answering", c.FEELS_SAFE_NOW: "Safe now",
    c.WANTS_ADVOCATE: "Wants an advocate", c.DESIRED_OUTCOMES: "What they want",
    c.OUTCOMES_CONFIRMED: "Read-back", c.OUTCOME_ACHIEVED: "Did it happen", c.CARRY_ON: "Carry on or stop",
    c.SAFETY_CHECK: "Are you safe (check)",
    **labels.FEEDBACK_LABELS, "comments": "Comments",
}
REASON_WORDS = {
    c.ALERT_REASON_FIRST: "First alert",
    c.ALERT_REASON_AGAIN: "Another message showed danger",
    c.ALERT_REASON_QUICK_EXIT: "The person left quickly with “Exit this page”",
    c.ALERT_REASON_ESCALATION: "Nobody acknowledged it in time: sent to the out-of-hours team",
}
TIER_WORDS = {
    c.MARK_CLEAR: "Danger",
    c.MARK_POSSIBLE: "Possible danger",
    c.MARK_REVIEW: "Worth a look",
}
# Why a message was marked: the kind of danger the reader saw, or how it was said (a press, an answer).
KIND_WORDS = {
    "violence_abuse_now": "Violence or abuse now",
    "suicide_self_harm": "Suicide or self-harm",
    "medical_emergency": "A medical emergency",
    "fire_gas": "Fire or gas",
    "scam_in_progress": "A scam happening now",
    "exploitation_slavery": "Exploitation or modern slavery",
    "neglect_now": "Neglect now",
    "danger": "Danger",
    "self_harm": "Self-harm",
    "button": "Pressed “I am not safe right now”",
    "answer": "Said they are not safe",
    "model": "The assistant’s language model",
}
CONTACT_ANSWER_WORDS = {c.YES: "Yes", c.NO: "No", c.NOT_SURE: "Not sure", None: "Not answered"}
ANSWER_WORDS: Dict[Any, str] = {
    **labels.ANSWER_LABELS, c.LATER: "Later", c.NOT_SURE: "Not sure", c.ALREADY_HAVE: "Already has one",
    c.DECLINED: "Chose not to answer", c.FULLY: "Fully", c.NOT: "Not achieved", None: "Not asked yet",
}
