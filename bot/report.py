"""MSP figures for a period: `msp report`.

How "outcomes achieved" (SAC table SG4a) is worked out, one answer per enquiry:

Only enquiries with a COMPLETED review count (stage "review", status
"completed"). When an enquiry has several completed reviews, the newest
(by updated_at) is used. A record with no enquiry reference stands on its
own conversation id.

Each outcome in that review was answered fully, partly, not, dont_know, or
not at all (null). Only fully, partly and not are answers; dont_know and
null are left out.

- FULLY achieved: every outcome with an answer was "fully".
- NOT achieved: no outcome was "fully" or "partly" (every answer was "not").
- PARTIALLY achieved: anything else (a mix, or any "partly").
- NOT RECORDED: the review has no outcomes, or every outcome is dont_know
  or null. We do not guess.

Paused, in-progress and declined reviews are not counted.

The rest of the report, from the same records:

- "Asked about desired outcomes" (SG4a): one outcomes conversation per
  enquiry (the newest by updated_at), any status: asked_expressed,
  asked_none_expressed, or not recorded (null).
- Wishes by outcome code: the same one-per-enquiry outcomes conversations,
  each code counted once per conversation.
- Closing feedback: one review per enquiry, the newest completed one, or
  failing that the newest paused one; each question's answer, or "not
  answered".
- Flags and record counts: every record in the period.

Values outside the record contract count as "not recorded" / "not answered".
No Rasa imports here: the report runs without the assistant.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from bot import constants as c

ROLL_UP_RULE = (
    "Outcomes achieved is one answer per enquiry, taken from the enquiry's newest "
    "completed review (paused or unfinished reviews do not count). Only outcomes "
    "answered fully, partly or not count; dont_know and blank answers are left out. "
    "Fully achieved: every answered outcome was fully achieved. "
    "Not achieved: no outcome was fully or partly achieved. "
    "Partially achieved: anything else. "
    "Not recorded: the review has no outcomes, or every outcome is dont_know or blank; "
    "we do not guess."
)

# Keys used in the report (and in its csv and json forms).
NOT_RECORDED = "not_recorded"
NOT_ANSWERED = "not_answered"
ACHIEVED_FULLY = "fully"
ACHIEVED_PARTIALLY = "partially"
ACHIEVED_NOT = "not"

ASKED_KEYS: Tuple[str, ...] = (c.ASKED_EXPRESSED, c.ASKED_NONE_EXPRESSED, NOT_RECORDED)
ACHIEVED_KEYS: Tuple[str, ...] = (ACHIEVED_FULLY, ACHIEVED_PARTIALLY, ACHIEVED_NOT, NOT_RECORDED)
FEEDBACK_KEYS: Tuple[str, ...] = (*c.ANSWER_KINDS["feedback"], NOT_ANSWERED)
STATUSES: Tuple[str, ...] = (
    c.STATUS_IN_PROGRESS,
    c.STATUS_COMPLETED,
    c.STATUS_PAUSED,
    c.STATUS_DECLINED,
)

# Plain words for people reading the table and the chart.
ASKED_LABELS: Dict[str, str] = {
    c.ASKED_EXPRESSED: "Yes, asked and outcomes were expressed",
    c.ASKED_NONE_EXPRESSED: "Yes, asked but no outcomes were expressed",
    NOT_RECORDED: "Not recorded",
}
ACHIEVED_LABELS: Dict[str, str] = {
    ACHIEVED_FULLY: "Fully achieved",
    ACHIEVED_PARTIALLY: "Partially achieved",
    ACHIEVED_NOT: "Not achieved",
    NOT_RECORDED: "Not recorded",
}
OUTCOME_LABELS: Dict[str, str] = {
    c.FEEL_SAFER: "For the abuse to stop; to feel safer",
    c.PROTECT_MYSELF: "Help to protect themselves in future",
    c.FEEL_CONFIDENT: "Help to feel more confident",
    c.ABUSER_STAYS_AWAY: "The person who hurt them to stay away",
    c.BE_INVOLVED: "To be involved in what happens next",
    c.PEOPLE_KEEP_PROMISES: "People to do what they say they will",
    c.POLICE_PROSECUTE: "The police to prosecute",
    c.ACCESS_SUPPORT: "To get any support available",
    c.MAKE_FRIENDS: "To make more friends",
    c.NO_FURTHER_ACTION: "For nothing more to happen",
    c.SOMETHING_ELSE: "Something else (own words)",
}
FEEDBACK_LABELS: Dict[str, str] = {
    c.GOALS_MET: "Got what they wanted",
    c.CHANCE_TO_SAY: "Had a chance to say",
    c.LISTENED_TO: "Felt listened to",
    c.ACTED_ON_WISHES: "We acted on their wishes",
    c.FEEL_SAFE: "Feel as safe as they want",
    c.HAPPIER: "Feel happier",
}
ANSWER_LABELS: Dict[str, str] = {
    c.YES: "Yes",
    c.PARTLY: "Partly",
    c.NO: "No",
    c.DONT_KNOW: "Don't know",
    c.DECLINED: "Declined",
    NOT_ANSWERED: "Not answered",
}
FLAG_LABELS: Dict[str, str] = {
    c.FLAG_URGENT_SAFETY: "Urgent safety concern",
    c.FLAG_ADVOCACY_REQUESTED: "Asked for an advocate",
    c.FLAG_WANTS_HUMAN_CONTACT: "Wants to talk to a person",
}
STAGE_LABELS: Dict[str, str] = {
    c.STAGE_OUTCOMES: "Outcomes (start)",
    c.STAGE_REVIEW: "Review (end)",
}
STATUS_LABELS: Dict[str, str] = {
    c.STATUS_IN_PROGRESS: "In progress",
    c.STATUS_COMPLETED: "Completed",
    c.STATUS_PAUSED: "Paused",
    c.STATUS_DECLINED: "Declined",
}

Record = Dict[str, Any]
Progress = Callable[[Iterable[Record]], Iterable[Record]]


def _zeros(keys: Sequence[str]) -> Dict[str, int]:
    return {key: 0 for key in keys}


@dataclass
class Report:
    """Every figure of the report. Dictionaries keep a fixed, zero-filled key order."""

    records: int = 0
    asked_about_outcomes: Dict[str, int] = field(default_factory=lambda: _zeros(ASKED_KEYS))
    outcomes_achieved: Dict[str, int] = field(default_factory=lambda: _zeros(ACHIEVED_KEYS))
    outcome_codes: Dict[str, int] = field(default_factory=lambda: _zeros(c.OUTCOME_CODES))
    feedback: Dict[str, Dict[str, int]] = field(
        default_factory=lambda: {q: _zeros(FEEDBACK_KEYS) for q in c.FEEDBACK_QUESTIONS}
    )
    flags: Dict[str, int] = field(default_factory=lambda: _zeros(c.FLAGS))
    by_stage_status: Dict[str, Dict[str, int]] = field(
        default_factory=lambda: {stage: _zeros(STATUSES) for stage in c.STAGES}
    )
    # Filled in by run_report; compute_report knows nothing of the period asked for.
    period_from: Optional[str] = None
    period_to: Optional[str] = None

    @property
    def enquiries_asked(self) -> int:
        return sum(self.asked_about_outcomes.values())

    @property
    def enquiries_reviewed(self) -> int:
        return sum(self.outcomes_achieved.values())

    @property
    def reviews_with_feedback(self) -> int:
        first = next(iter(self.feedback.values()), {})
        return sum(first.values())


def _identity(records: Iterable[Record]) -> Iterable[Record]:
    return records


def _moment(value: Any) -> Tuple[int, Any]:
    """A sortable timestamp; records with none sort oldest."""
    if isinstance(value, datetime):
        return (1, value.replace(tzinfo=None))
    if isinstance(value, str) and value:
        try:
            return (1, datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None))
        except ValueError:
            return (0, value)
    return (0, "")


def _newness(record: Record) -> Tuple[Tuple[int, Any], Tuple[int, Any]]:
    return (_moment(record.get("updated_at")), _moment(record.get("started_at")))


def _enquiry_key(record: Record) -> str:
    """The enquiry a record belongs to; without a reference, its own conversation."""
    ref = record.get("enquiry_ref")
    if ref:
        return f"enquiry:{ref}"
    return f"conversation:{record.get('conversation_id')}"


def _keep_newest(chosen: Dict[str, Record], record: Record) -> None:
    """Keep the newest record per enquiry. On a tie the one seen first stays
    (export_records lists newest first)."""
    key = _enquiry_key(record)
    current = chosen.get(key)
    if current is None or _newness(record) > _newness(current):
        chosen[key] = record


def roll_up_achieved(outcomes: Sequence[Dict[str, Any]]) -> str:
    """One SG4a answer for one enquiry's review outcomes (see ROLL_UP_RULE)."""
    answers = [o.get("achieved") for o in outcomes]
    answered = [a for a in answers if a in (c.FULLY, c.PARTLY, c.NOT)]
    if not answered:
        return NOT_RECORDED
    if all(a == c.FULLY for a in answered):
        return ACHIEVED_FULLY
    if not any(a in (c.FULLY, c.PARTLY) for a in answered):
        return ACHIEVED_NOT
    return ACHIEVED_PARTIALLY


def compute_report(records: Iterable[Record], progress: Progress = _identity) -> Report:
    """Count the figures from contract dictionaries. Pure: no I/O.

    `progress` may wrap the records (a progress bar); it must yield them unchanged.
    """
    report = Report()
    newest_outcomes: Dict[str, Record] = {}
    newest_completed_review: Dict[str, Record] = {}
    newest_paused_review: Dict[str, Record] = {}

    for record in progress(records):
        report.records += 1
        stage = record.get("stage")
        status = record.get("status")
        row = report.by_stage_status.setdefault(str(stage), _zeros(STATUSES))
        row[str(status)] = row.get(str(status), 0) + 1
        flags = record.get("flags") or {}
        for flag in c.FLAGS:
            if flags.get(flag):
                report.flags[flag] += 1
        if stage == c.STAGE_OUTCOMES:
            _keep_newest(newest_outcomes, record)
        elif stage == c.STAGE_REVIEW and status == c.STATUS_COMPLETED:
            _keep_newest(newest_completed_review, record)
        elif stage == c.STAGE_REVIEW and status == c.STATUS_PAUSED:
            _keep_newest(newest_paused_review, record)

    for record in newest_outcomes.values():
        asked = record.get("asked_about_outcomes")
        report.asked_about_outcomes[asked if asked in ASKED_KEYS else NOT_RECORDED] += 1
        for code in {o.get("code") for o in record.get("outcomes") or []}:
            if code in report.outcome_codes:
                report.outcome_codes[code] += 1

    for record in newest_completed_review.values():
        report.outcomes_achieved[roll_up_achieved(record.get("outcomes") or [])] += 1

    feedback_reviews = dict(newest_paused_review)
    feedback_reviews.update(newest_completed_review)  # a completed review wins
    for record in feedback_reviews.values():
        answers = record.get("feedback") or {}
        for question in c.FEEDBACK_QUESTIONS:
            answer = answers.get(question)
            key = answer if answer in c.ANSWER_KINDS["feedback"] else NOT_ANSWERED
            report.feedback[question][key] += 1
    return report


# ---------------------------------------------------------------- rendering


def _period_words(report: Report) -> str:
    if report.period_from and report.period_to:
        return f"{report.period_from} to {report.period_to}"
    if report.period_from:
        return f"{report.period_from} onwards"
    if report.period_to:
        return f"up to {report.period_to}"
    return "all records"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else ""


_LABEL_WIDTH = 2 + max(
    len(label)
    for labels in (ASKED_LABELS, ACHIEVED_LABELS, OUTCOME_LABELS, FEEDBACK_LABELS,
                   FLAG_LABELS, STAGE_LABELS)
    for label in labels.values()
)


def _heading(lines: List[str], title: str, note: str = "") -> None:
    lines += ["", title, "-" * len(title)]
    if note:
        lines.append(f"  {note}")


def _count_section(
    lines: List[str], counts: Dict[str, int], labels: Dict[str, str], total: bool
) -> None:
    whole = sum(counts.values())
    for key, value in counts.items():
        share = _percent(value, whole) if total else ""
        lines.append(f"  {labels.get(key, key):<{_LABEL_WIDTH}}{value:>6}  {share:>4}".rstrip())
    if total:
        lines.append(f"  {'Total':<{_LABEL_WIDTH}}{whole:>6}")


def _grid(
    lines: List[str],
    rows: Dict[str, Dict[str, int]],
    row_labels: Dict[str, str],
    columns: Sequence[str],
    column_labels: Dict[str, str],
    total: bool,
) -> None:
    heads = [column_labels.get(col, col) for col in columns] + (["Total"] if total else [])
    widths = [max(len(h), 4) + 2 for h in heads]
    label_width = max(len(row_labels.get(key, key)) for key in rows) + 2
    header = "".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
    lines.append("  " + " " * label_width + header)
    for key, row in rows.items():
        cells = [row.get(col, 0) for col in columns] + ([sum(row.values())] if total else [])
        lines.append(
            f"  {row_labels.get(key, key):<{label_width}}"
            + "".join(f"{n:>{w}}" for n, w in zip(cells, widths, strict=True))
        )


def render_table(report: Report) -> str:
    """Plain aligned text with headed sections, for a team manager to read."""
    heading = "Making Safeguarding Personal: report"
    lines = [heading, "=" * len(heading), f"Period:  {_period_words(report)}"]
    if report.records == 0:
        lines += [
            "",
            "There are no records for this period yet, so there is nothing to count.",
            "Try a wider period (--from / --to), or check again once people have",
            "talked to the assistant.",
        ]
        return "\n".join(lines) + "\n"
    lines.append(f"Records: {report.records} conversation(s) last updated in this period")

    _heading(lines, "Asked what they wanted to happen (SG4a)",
             "One per enquiry: its newest outcomes conversation.")
    _count_section(lines, report.asked_about_outcomes, ASKED_LABELS, total=True)

    _heading(lines, "Outcomes achieved (SG4a)",
             "One per enquiry with a completed review.")
    _count_section(lines, report.outcomes_achieved, ACHIEVED_LABELS, total=True)
    lines.append("")
    lines += _wrap("How this is worked out: " + ROLL_UP_RULE, 78, "  ")

    _heading(lines, "What people wanted",
             "Times each wish was given, one outcomes conversation per enquiry.")
    _count_section(lines, report.outcome_codes, OUTCOME_LABELS, total=False)

    _heading(lines, "What people said at the end (closing feedback)",
             f"{report.reviews_with_feedback} review(s), one per enquiry: "
             "the newest completed, else the newest paused.")
    _grid(lines, report.feedback, FEEDBACK_LABELS, FEEDBACK_KEYS, ANSWER_LABELS, total=False)

    _heading(lines, "Flags raised", "Every record in the period.")
    _count_section(lines, report.flags, FLAG_LABELS, total=False)

    _heading(lines, "Records by stage and status")
    statuses = list(STATUSES) + sorted(
        {s for row in report.by_stage_status.values() for s in row} - set(STATUSES)
    )
    _grid(lines, report.by_stage_status, STAGE_LABELS, statuses, STATUS_LABELS, total=True)
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, indent: str) -> List[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _long_rows(report: Report) -> Iterable[Tuple[str, str, Any]]:
    yield ("summary", "records", report.records)
    yield ("summary", "period_from", report.period_from or "")
    yield ("summary", "period_to", report.period_to or "")
    for key, value in report.asked_about_outcomes.items():
        yield ("asked_about_outcomes", key, value)
    for key, value in report.outcomes_achieved.items():
        yield ("outcomes_achieved", key, value)
    for key, value in report.outcome_codes.items():
        yield ("outcome_codes", key, value)
    for question, counts in report.feedback.items():
        for key, value in counts.items():
            yield (f"feedback.{question}", key, value)
    for key, value in report.flags.items():
        yield ("flags", key, value)
    for stage, row in report.by_stage_status.items():
        for key, value in row.items():
            yield (f"records.{stage}", key, value)


def render_csv(report: Report) -> str:
    """Long format: one `section,item,value` row per figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "item", "value"))
    writer.writerows(_long_rows(report))
    return out.getvalue()


def report_to_dict(report: Report) -> Dict[str, Any]:
    """The report as plain data for `--format json`."""
    return {
        "period": {"from": report.period_from, "to": report.period_to},
        "records": report.records,
        "asked_about_outcomes": dict(report.asked_about_outcomes),
        "outcomes_achieved": dict(report.outcomes_achieved),
        "outcome_codes": dict(report.outcome_codes),
        "feedback": {q: dict(counts) for q, counts in report.feedback.items()},
        "flags": dict(report.flags),
        "records_by_stage_status": {s: dict(row) for s, row in report.by_stage_status.items()},
    }


# ---------------------------------------------------------------- chart

# Okabe-Ito colours: told apart with the common kinds of colour blindness.
_BLUE = "#0072B2"
_SKY = "#56B4E9"
_VERMILLION = "#D55E00"
_GREY = "#999999"
_PURPLE = "#CC79A7"
_PALE = "#E6E6E6"
ACHIEVED_COLOURS = {ACHIEVED_FULLY: _BLUE, ACHIEVED_PARTIALLY: _SKY, ACHIEVED_NOT: _VERMILLION}
ASKED_COLOURS = {c.ASKED_EXPRESSED: _BLUE, c.ASKED_NONE_EXPRESSED: _SKY, NOT_RECORDED: _GREY}
ANSWER_COLOURS = {
    c.YES: _BLUE,
    c.PARTLY: _SKY,
    c.NO: _VERMILLION,
    c.DONT_KNOW: _GREY,
    c.DECLINED: _PURPLE,
    NOT_ANSWERED: _PALE,
}
_DARK = {_BLUE, _VERMILLION}


def draw_chart(report: Report, path: str) -> None:
    """One PNG: outcomes achieved, asked about outcomes, and feedback answers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 9.5), dpi=150)
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.25), hspace=0.5, wspace=0.55)
    fig.suptitle(
        f"Making Safeguarding Personal: {_period_words(report)}  "
        f"({report.records} record{'s' if report.records != 1 else ''})",
        fontsize=15,
        fontweight="bold",
    )

    # 1. Outcomes achieved (SG4a)
    ax = fig.add_subplot(grid[0, 0])
    keys = [ACHIEVED_FULLY, ACHIEVED_PARTIALLY, ACHIEVED_NOT]
    values = [report.outcomes_achieved[k] for k in keys]
    bars = ax.bar(
        [ACHIEVED_LABELS[k].replace(" ", "\n", 1) for k in keys],
        values,
        color=[ACHIEVED_COLOURS[k] for k in keys],
    )
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.set_title("Did people get the outcomes they wanted?", fontsize=12)
    ax.set_ylabel("Enquiries (completed review)")
    ax.set_xlabel(
        f"Not shown: {report.outcomes_achieved[NOT_RECORDED]} not recorded "
        "(no outcome answered)",
        fontsize=9,
    )
    ax.set_ylim(0, max(values + [1]) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)

    # 2. Asked about desired outcomes (SG4a)
    ax = fig.add_subplot(grid[0, 1])
    keys = list(ASKED_KEYS)
    values = [report.asked_about_outcomes[k] for k in keys]
    labels = ["Asked, said what\nthey wanted", "Asked, nothing\nwanted", "Not recorded"]
    bars = ax.barh(labels, values, color=[ASKED_COLOURS[k] for k in keys])
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.invert_yaxis()
    ax.set_title("Were people asked what they wanted?", fontsize=12)
    ax.set_xlabel("Enquiries (outcomes conversation)")
    ax.set_xlim(0, max(values + [1]) * 1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)

    # 3. Feedback answers, stacked per question
    ax = fig.add_subplot(grid[1, :])
    questions = list(c.FEEDBACK_QUESTIONS)
    names = [FEEDBACK_LABELS[q] for q in questions]
    left = [0] * len(questions)
    for answer in FEEDBACK_KEYS:
        counts = [report.feedback[q][answer] for q in questions]
        bars = ax.barh(
            names, counts, left=left, color=ANSWER_COLOURS[answer],
            edgecolor="white", linewidth=0.8, label=ANSWER_LABELS[answer],
        )
        ax.bar_label(
            bars,
            labels=[str(n) if n else "" for n in counts],
            label_type="center",
            color="white" if ANSWER_COLOURS[answer] in _DARK else "black",
            fontsize=10,
            fontweight="bold",
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_title("What people said at the end (closing feedback)", fontsize=12)
    ax.set_xlabel("People who gave feedback (one review per enquiry)")
    ax.set_xlim(0, max(left + [1]))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        ncol=len(FEEDBACK_KEYS), loc="upper center", bbox_to_anchor=(0.5, -0.16),
        frameon=False, fontsize=10,
    )
    if report.records == 0:
        ax.text(0.5, 0.5, "No records in this period", transform=ax.transAxes,
                ha="center", va="center", fontsize=20, color=_GREY)

    try:
        fig.savefig(path, dpi=150, bbox_inches="tight", facecolor="white")
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- command


def _day(moment: Optional[datetime]) -> Optional[str]:
    return moment.strftime("%Y-%m-%d") if moment else None


def run_report(args: argparse.Namespace) -> int:
    """`msp report`: figures for --from .. --to (both days included)."""
    import json

    from tqdm import tqdm

    from bot.store import records as store

    date_from: Optional[datetime] = getattr(args, "date_from", None)
    date_to: Optional[datetime] = getattr(args, "date_to", None)
    fmt: str = getattr(args, "format", "table") or "table"
    chart: Optional[str] = getattr(args, "chart", None)
    if date_from and date_to and date_from > date_to:
        print(
            f"The --from date ({_day(date_from)}) is after the --to date ({_day(date_to)}). "
            "Please give the earlier date first.",
            file=sys.stderr,
        )
        return 2

    until = date_to + timedelta(days=1) if date_to else None  # --to includes its whole day
    rows = store.export_records(since=date_from, until=until)

    def progress(items: Iterable[Record]) -> Iterable[Record]:
        if len(rows) <= 1000:
            return items
        return tqdm(items, total=len(rows), desc="Counting records", unit="record",
                    file=sys.stderr, disable=None)

    report = replace(
        compute_report(rows, progress=progress),
        period_from=_day(date_from),
        period_to=_day(date_to),
    )
    store.record_audit(
        getpass.getuser(),
        "report",
        f"format={fmt} from={_day(date_from) or '*'} to={_day(date_to) or '*'} "
        f"records={len(rows)} chart={chart or '-'}",
    )

    if fmt == "json":
        json.dump(report_to_dict(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        sys.stdout.write(render_csv(report))
    else:
        sys.stdout.write(render_table(report))
    sys.stdout.flush()

    if chart:
        try:
            draw_chart(report, chart)
        except OSError as exc:
            print(f"Could not write the chart to {chart}: {exc}", file=sys.stderr)
            return 1
        print(f"Chart written to {chart}", file=sys.stderr)
    return 0
