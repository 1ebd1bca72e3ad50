"""The report's figures: counted by SQL aggregates in the database, or from contract dictionaries.

Wishes taken away (`withdrawn_at` set: by the person, or set aside by a
practitioner as not a wish) stay in the record and are never counted.

`compute_report_between(since, until)` is what `msp report` and the
workspace use. It sends four aggregate queries and gets back a few dozen
small rows, however many records there are: "one per enquiry" is a window
function (`row_number() OVER (PARTITION BY enquiry ...)`), the SG4a roll-up a
`GROUP BY` over each chosen review's outcomes. SQLite (3.25 and later) and
PostgreSQL run the same SQL.

`compute_report(records)` counts the same figures from contract
dictionaries in plain Python. It is the reference: the hand-worked fixtures
of tests/test_report.py are its spec, and the SQL is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.sql import ColumnElement, Select

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
# Always shown in the records-by-stage grid; a check-in row appears once there are check-ins.
ALWAYS_SHOWN_STAGES: Tuple[str, ...] = (c.STAGE_OUTCOMES, c.STAGE_REVIEW)
STATUSES: Tuple[str, ...] = (
    c.STATUS_IN_PROGRESS,
    c.STATUS_COMPLETED,
    c.STATUS_PAUSED,
    c.STATUS_DECLINED,
)

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
        default_factory=lambda: {stage: _zeros(STATUSES) for stage in ALWAYS_SHOWN_STAGES}
    )
    # Filled in by the caller; the counting knows nothing of the period asked for.
    period_from: Optional[str] = None
    period_to: Optional[str] = None

    @property
    def reviews_with_feedback(self) -> int:
        first = next(iter(self.feedback.values()), {})
        return sum(first.values())


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


def _asked_key(value: Any) -> str:
    return value if value in ASKED_KEYS else NOT_RECORDED


def _feedback_key(value: Any) -> str:
    return value if value in c.ANSWER_KINDS["feedback"] else NOT_ANSWERED


def _count_stage_status(report: Report, stage: Any, status: Any, n: int) -> None:
    row = report.by_stage_status.setdefault(str(stage), _zeros(STATUSES))
    row[str(status)] = row.get(str(status), 0) + n


# ---------------------------------------------------------------- in SQL


def compute_report_between(since: Optional[datetime] = None, until: Optional[datetime] = None) -> Report:
    """The figures for records last updated in [since, until), counted in the database.

    `until` is exclusive: to include a whole last day, pass the next midnight.
    """
    from bot.store.db import session_scope

    with session_scope() as session:
        return _compute(session, since, until)


@dataclass(frozen=True)
class Scope:
    """The records of a period, and how each is matched to its enquiry: what every figure counts over.

    Shared with bot/report/board.py, so its figures choose records exactly as these do.
    """

    conv: Any  # the conversations table
    out: Any  # the outcomes table
    period: Tuple[ColumnElement, ...]
    enquiry: ColumnElement  # the enquiry a record belongs to; without a reference, its own conversation
    newest: Tuple[Any, ...]  # newest first; on a tie the record the export lists first
    standing: ColumnElement  # a wish not taken away


def scope_between(since: Optional[datetime], until: Optional[datetime]) -> Scope:
    """Records last updated in [since, until)."""
    from bot.store.models import Conversation, Outcome

    conv = Conversation.__table__
    out = Outcome.__table__
    period: List[ColumnElement] = []
    if since is not None:
        period.append(conv.c.updated_at >= since)
    if until is not None:
        period.append(conv.c.updated_at < until)
    has_ref = and_(conv.c.enquiry_ref.isnot(None), conv.c.enquiry_ref != "")
    enquiry = case(
        (has_ref, literal("e:") + conv.c.enquiry_ref), else_=literal("c:") + conv.c.conversation_id
    )
    return Scope(
        conv=conv, out=out, period=tuple(period), enquiry=enquiry,
        newest=(conv.c.updated_at.desc(), conv.c.started_at.desc(), conv.c.id.desc()),
        # A wish taken away (by the person, or set aside as not a wish) is kept in the record, never counted.
        standing=out.c.withdrawn_at.is_(None),
    )


def _status_in(conv: Any, *statuses: str) -> ColumnElement:
    """`status IN (...)`, written so SQLite reads the table straight through.

    Left as it is, SQLite (which keeps no statistics unless asked) reads most
    of the table through ix_conversations_status_updated_at, a row at a time:
    at 100,000 enquiries the choice of the reviews took 830 ms that way and
    150 ms as a plain scan. PostgreSQL scans for so many rows anyway; a
    period's dates can still use the updated_at index on both.
    """
    return func.coalesce(conv.c.status, "").in_(statuses)


def newest_completed_reviews(scope: Scope, *columns: Any) -> Select:
    """`columns` of each enquiry's newest completed review: the review SG4a's roll-up is taken from."""
    conv = scope.conv
    return _newest_per_enquiry(
        select(*columns), scope.enquiry, scope.newest,
        conv.c.stage == c.STAGE_REVIEW, _status_in(conv, c.STATUS_COMPLETED), *scope.period,
    )


def feedback_reviews(scope: Scope, *columns: Any) -> Select:
    """`columns` of the review whose feedback counts: the newest completed, else the newest paused."""
    conv = scope.conv
    completed_first = case((conv.c.status == c.STATUS_COMPLETED, 0), else_=1)
    return _newest_per_enquiry(
        select(*columns), scope.enquiry, (completed_first, *scope.newest),
        conv.c.stage == c.STAGE_REVIEW, _status_in(conv, c.STATUS_COMPLETED, c.STATUS_PAUSED), *scope.period,
    )


def _compute(session: Any, since: Optional[datetime], until: Optional[datetime]) -> Report:
    scope = scope_between(since, until)
    conv, out, period, standing = scope.conv, scope.out, scope.period, scope.standing
    report = Report()

    # 1. Every record in the period: counts by stage and status, and flags, in one pass.
    flag_sums = [func.sum(case((conv.c[flag].is_(True), 1), else_=0)) for flag in c.FLAGS]
    totals = select(conv.c.stage, conv.c.status, func.count(), *flag_sums).where(*period)
    flags_seen = [0] * len(c.FLAGS)
    for stage, status, n, *flagged in session.execute(
        totals.group_by(conv.c.stage, conv.c.status).order_by(conv.c.stage, conv.c.status)
    ):
        report.records += int(n)
        _count_stage_status(report, stage, status, int(n))
        flags_seen = [a + int(b or 0) for a, b in zip(flags_seen, flagged, strict=True)]
    report.flags = dict(zip(c.FLAGS, flags_seen, strict=True))

    # 2. The newest outcomes conversation of each enquiry: asked, and the codes wished for.
    chosen_outcomes = _newest_per_enquiry(
        select(conv.c.id, conv.c.asked_about_outcomes), scope.enquiry, scope.newest,
        conv.c.stage == c.STAGE_OUTCOMES, *period,
    ).cte("chosen_outcomes")
    asked = select(literal("asked").label("part"), chosen_outcomes.c.asked_about_outcomes.label("key"),
                   func.count().label("n")).group_by(chosen_outcomes.c.asked_about_outcomes)
    codes = (
        select(literal("code").label("part"), out.c.code.label("key"),
               func.count(func.distinct(out.c.conversation_pk)).label("n"))
        .select_from(chosen_outcomes.join(out, and_(out.c.conversation_pk == chosen_outcomes.c.id, standing)))
        .group_by(out.c.code)
    )
    for part, key, n in session.execute(union_all(asked, codes)):
        if part == "asked":
            report.asked_about_outcomes[_asked_key(key)] += int(n)
        elif key in report.outcome_codes:
            report.outcome_codes[key] += int(n)

    # 3. The newest completed review of each enquiry, rolled up to one SG4a answer (ROLL_UP_RULE).
    chosen_reviews = newest_completed_reviews(scope, conv.c.id).cte("chosen_reviews")

    def answered(value: str) -> Any:
        return func.sum(case((out.c.achieved == value, 1), else_=0))

    tallies = (
        select(answered(c.FULLY).label("f"), answered(c.PARTLY).label("p"), answered(c.NOT).label("n"))
        .select_from(chosen_reviews.outerjoin(
            out, and_(out.c.conversation_pk == chosen_reviews.c.id, standing)))
        .group_by(chosen_reviews.c.id)
        .subquery("tallies")
    )
    f, p, n_ = tallies.c.f, tallies.c.p, tallies.c.n
    rolled = case(
        (f + p + n_ == 0, literal(NOT_RECORDED)),
        (f == f + p + n_, literal(ACHIEVED_FULLY)),
        (f + p == 0, literal(ACHIEVED_NOT)),
        else_=literal(ACHIEVED_PARTIALLY),
    ).label("answer")
    answers = select(rolled).subquery("answers")
    for answer, n in session.execute(select(answers.c.answer, func.count()).group_by(answers.c.answer)):
        report.outcomes_achieved[answer] += int(n)

    # 4. Closing feedback: the newest completed review of each enquiry, else its newest paused one.
    answers_given = (conv.c[q] for q in c.FEEDBACK_QUESTIONS)
    chosen_feedback = feedback_reviews(scope, *answers_given).cte("chosen_feedback")
    per_question = [
        select(literal(q).label("question"), chosen_feedback.c[q].label("answer"), func.count().label("n"))
        .group_by(chosen_feedback.c[q])
        for q in c.FEEDBACK_QUESTIONS
    ]
    for question, answer, n in session.execute(union_all(*per_question)):
        report.feedback[question][_feedback_key(answer)] += int(n)
    return report


def _newest_per_enquiry(
    columns: Select, enquiry: ColumnElement, order: Sequence[Any], *where: ColumnElement
) -> Select:
    """`columns` of the first record of each enquiry in `order`, among the records matching `where`."""
    rank = func.row_number().over(partition_by=enquiry, order_by=list(order)).label("rank")
    ranked = columns.add_columns(rank).where(*where).subquery("ranked")
    keep = [col for col in ranked.c if col.key != "rank"]
    return select(*keep).where(ranked.c.rank == 1)


# ---------------------------------------------------------------- in Python (the reference)


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
    (the export lists newest first)."""
    key = _enquiry_key(record)
    current = chosen.get(key)
    if current is None or _newness(record) > _newness(current):
        chosen[key] = record


def _standing(record: Record) -> List[Dict[str, Any]]:
    """The record's wishes that still stand: one taken away is never counted, however it is shown."""
    return [o for o in record.get("outcomes") or [] if not o.get("withdrawn_at")]


def compute_report(records: Iterable[Record], progress: Progress = _identity) -> Report:
    """Count the figures from contract dictionaries. Pure: no I/O.

    The reference for `compute_report_between`, which must give the same
    figures for the same records. `progress` may wrap the records (a progress
    bar); it must yield them unchanged.
    """
    report = Report()
    newest_outcomes: Dict[str, Record] = {}
    newest_completed_review: Dict[str, Record] = {}
    newest_paused_review: Dict[str, Record] = {}

    for record in progress(records):
        report.records += 1
        stage = record.get("stage")
        status = record.get("status")
        _count_stage_status(report, stage, status, 1)
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
        report.asked_about_outcomes[_asked_key(record.get("asked_about_outcomes"))] += 1
        for code in {o.get("code") for o in _standing(record)}:
            if code in report.outcome_codes:
                report.outcome_codes[code] += 1

    for record in newest_completed_review.values():
        report.outcomes_achieved[roll_up_achieved(_standing(record))] += 1

    feedback_reviews = dict(newest_paused_review)
    feedback_reviews.update(newest_completed_review)  # a completed review wins
    for record in feedback_reviews.values():
        answers = record.get("feedback") or {}
        for question in c.FEEDBACK_QUESTIONS:
            report.feedback[question][_feedback_key(answers.get(question))] += 1
    return report
