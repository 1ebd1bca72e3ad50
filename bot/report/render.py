"""The report for people and programs: an aligned text table, a long CSV, a JSON dictionary.

Renderers take a computed `Report` and do no counting, so `msp report` and
the workspace show the same figures however they were computed.
"""

from __future__ import annotations

import csv
import io
import textwrap
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from bot import constants as c
from bot.report.compute import (
    ACHIEVED_FULLY,
    ACHIEVED_NOT,
    ACHIEVED_PARTIALLY,
    FEEDBACK_KEYS,
    NOT_ANSWERED,
    NOT_RECORDED,
    ROLL_UP_RULE,
    STATUSES,
    Report,
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
    c.FLAG_ADVOCACY_NEEDED: "Taking part looked hard",
}
STAGE_LABELS: Dict[str, str] = {
    c.STAGE_OUTCOMES: "Outcomes (start)",
    c.STAGE_REVIEW: "Review (end)",
    c.STAGE_CHECKIN: "Check-in (during)",
}
STATUS_LABELS: Dict[str, str] = {
    c.STATUS_IN_PROGRESS: "In progress",
    c.STATUS_COMPLETED: "Completed",
    c.STATUS_PAUSED: "Paused",
    c.STATUS_DECLINED: "Declined",
}


def period_words(report: Report) -> str:
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


def _wrap(text: str, width: int, indent: str) -> List[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)


def render_table(report: Report) -> str:
    """Plain aligned text with headed sections, for a team manager to read."""
    heading = "Making Safeguarding Personal: report"
    lines = [heading, "=" * len(heading), f"Period:  {period_words(report)}"]
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
             "Enquiries that wished for each (each enquiry's newest outcomes conversation).")
    lines.append("  Wishes taken away, or set aside as not a wish, are not counted.")
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
    """The report as plain data for `--format json` and the workspace's page."""
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
