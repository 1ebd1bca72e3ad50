"""What the board learns: the six feedback answers by quarter, and how often each kind of wish came true.

The guidance asks that feedback inform how services develop, so a
Safeguarding Adults Board wants two things the SG4a figures do not show:

- **Feedback by quarter.** Counts of each answer (yes, partly, no, don't
  know, declined, not answered) to each of the six closing questions, per
  quarter. The reviews are the ones the report's feedback table counts (one
  per enquiry: its newest completed review, else its newest paused one, among
  the records last updated in the period), so the quarters add up to that
  table. Each is put in the quarter of its last update (`updated_at`).
- **Wishes achieved, by code.** For each outcome code, how many wishes were
  fully, partly or not achieved, don't know, or not answered, over every
  wish that stands in each enquiry's newest completed review (the review
  SG4a rolls up). Shares are of the wishes answered fully, partly or not:
  don't know and blank are counted, but left out of the shares, as SG4a
  leaves them out.

A wish taken away (`withdrawn_at` set) is never counted. The feedback
answers are about the service, not a wish, so a review counts whatever
became of its wishes.

**Quarters are calendar quarters in UK time** (Europe/London), "2026 Q3"
being July to September 2026. Stored times are UTC; the council, its board
and NHS England's collection count in UK days, and a review finished at
00:30 on 1 July (BST) is a July review to everyone who reads it, though it
is 23:30 on 30 June in UTC. Only the boundaries at 1 April, 1 July and
1 October differ, by the hour of British Summer Time; 1 January is the same
in both. PostgreSQL converts with its time zone database. SQLite has no time
zones, so it uses what is true of every date under the UK's rules since 1996
(summer time from the last Sunday of March to the last Sunday of October, so
always in force on 1 April, 1 July and 1 October, never on 1 January): UK
time is UTC plus an hour for the purpose of finding the quarter, except in
December. Both are tested against Python's zoneinfo at every boundary.

The quarters shown run from the period's first day to its last (when it
has them; otherwise from the first quarter with feedback to the last), with
a zero row for a quarter with none.

`compute_board_between` counts in SQL (two aggregate queries, a few dozen
rows back); `compute_board` counts from contract dictionaries in plain
Python, the reference the SQL is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Dict, Iterable, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, extract, func, select
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.report.compute import (
    FEEDBACK_KEYS,
    NOT_ANSWERED,
    Record,
    Scope,
    _feedback_key,
    _keep_newest,
    _standing,
    feedback_reviews,
    newest_completed_reviews,
    scope_between,
)

UK_ZONE = "Europe/London"
UK: tzinfo = ZoneInfo(UK_ZONE)
# How each wish came out: the review's answers; not_answered for a blank or a value outside the contract.
WISH_KEYS: Tuple[str, ...] = (c.FULLY, c.PARTLY, c.NOT, c.DONT_KNOW, NOT_ANSWERED)
SHARE_KEYS: Tuple[str, ...] = (c.FULLY, c.PARTLY, c.NOT)  # the answers a share is taken of

Counts = Dict[str, int]


def _zeros(keys: Iterable[str]) -> Counts:
    return {key: 0 for key in keys}


def _no_feedback() -> Dict[str, Counts]:
    return {q: _zeros(FEEDBACK_KEYS) for q in c.FEEDBACK_QUESTIONS}


@dataclass
class BoardFigures:
    """The board's figures. `feedback_by_quarter` is quarter -> question -> answer -> count, oldest first."""

    quarters: List[str] = field(default_factory=list)
    feedback_by_quarter: Dict[str, Dict[str, Counts]] = field(default_factory=dict)
    wishes_achieved: Dict[str, Counts] = field(
        default_factory=lambda: {code: _zeros(WISH_KEYS) for code in c.OUTCOME_CODES}
    )

    @property
    def reviews(self) -> int:
        """How many reviews' feedback is counted, over every quarter."""
        first = c.FEEDBACK_QUESTIONS[0]
        return sum(sum(by_question[first].values()) for by_question in self.feedback_by_quarter.values())


def wish_shares(counts: Counts) -> Dict[str, Optional[float]]:
    """Fully, partly and not as fractions of the wishes answered one of those ways; None when none were."""
    answered = sum(counts.get(key, 0) for key in SHARE_KEYS)
    return {key: (counts.get(key, 0) / answered if answered else None) for key in SHARE_KEYS}


# ---------------------------------------------------------------- quarters


def quarter_name(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"


def _quarter_of_day(day: date) -> Tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def uk_quarter(moment: datetime) -> Tuple[int, int]:
    """The UK quarter of a stored time (naive UTC), by the time zone database: the reference."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return _quarter_of_day(aware.astimezone(UK).date())


def uk_quarter_sql(column: Any, dialect: str) -> Tuple[ColumnElement, ColumnElement]:
    """The year and quarter (1-4) of a stored time (naive UTC) in UK time, as SQL for `dialect`."""
    if dialect == "postgresql":
        local = func.timezone(UK_ZONE, func.timezone("UTC", column))
        return cast(extract("year", local), Integer), cast(extract("quarter", local), Integer)
    # SQLite: an hour later except in December (see the module's docstring), then the calendar quarter.
    shift = case((func.strftime("%m", column) == "12", "+0 hours"), else_="+1 hours")
    local = func.datetime(column, shift)
    month = cast(func.strftime("%m", local), Integer)
    quarter = case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)
    return cast(func.strftime("%Y", local), Integer), quarter


def _span(first: Tuple[int, int], last: Tuple[int, int]) -> List[Tuple[int, int]]:
    """Every quarter from first to last, both included."""
    found = []
    year, quarter = first
    while (year, quarter) <= last:
        found.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return found


def quarters_to_show(
    seen: Iterable[Tuple[int, int]], since: Optional[datetime], until: Optional[datetime]
) -> List[Tuple[int, int]]:
    """The period's quarters (by its first and last day), or the quarters with feedback, gaps filled.

    A quarter with feedback outside the period's days is shown too: the
    period picks records by their UTC time, so the last hour of a period's
    last day can be in the next UK quarter.
    """
    seen = sorted(set(seen))
    first = _quarter_of_day(since.date()) if since else (seen[0] if seen else None)
    last_day = (until - timedelta(microseconds=1)).date() if until else None  # `until` is exclusive
    last = _quarter_of_day(last_day) if last_day else (seen[-1] if seen else None)
    if first is None or last is None:
        return seen
    return sorted(set(_span(first, last)) | set(seen))


def _fill(board: BoardFigures, counted: Dict[Tuple[int, int], Dict[str, Counts]],
          since: Optional[datetime], until: Optional[datetime]) -> None:
    for year, quarter in quarters_to_show(counted, since, until):
        name = quarter_name(year, quarter)
        board.quarters.append(name)
        board.feedback_by_quarter[name] = counted.get((year, quarter)) or _no_feedback()


# ---------------------------------------------------------------- in SQL


def compute_board_between(since: Optional[datetime] = None, until: Optional[datetime] = None) -> BoardFigures:
    """The board's figures for records last updated in [since, until), counted in the database."""
    from bot.store.db import session_scope

    with session_scope() as session:
        return _compute(session, since, until)


def _compute(session: Any, since: Optional[datetime], until: Optional[datetime]) -> BoardFigures:
    scope = scope_between(since, until)
    board = BoardFigures()
    _fill(board, _feedback_by_quarter(session, scope), since, until)
    for code, achieved, n in session.execute(_wishes_achieved(scope)):
        if code in board.wishes_achieved:
            key = achieved if achieved in WISH_KEYS else NOT_ANSWERED
            board.wishes_achieved[code][key] += int(n)
    return board


def _feedback_by_quarter(session: Any, scope: Scope) -> Dict[Tuple[int, int], Dict[str, Counts]]:
    """One pass: a row per quarter, with a sum per question and answer (the rest is not answered)."""
    conv = scope.conv
    reviews = feedback_reviews(scope, conv.c.updated_at, *(conv.c[q] for q in c.FEEDBACK_QUESTIONS))
    chosen = reviews.subquery("chosen_feedback")
    year, quarter = uk_quarter_sql(chosen.c.updated_at, session.get_bind().dialect.name)
    bucketed = select(year.label("year"), quarter.label("quarter"),
                      *(chosen.c[q] for q in c.FEEDBACK_QUESTIONS)).subquery("bucketed")
    given = c.ANSWER_KINDS["feedback"]
    sums = [func.sum(case((bucketed.c[q] == answer, 1), else_=0))
            for q in c.FEEDBACK_QUESTIONS for answer in given]
    rows = session.execute(
        select(bucketed.c.year, bucketed.c.quarter, func.count(), *sums)
        .group_by(bucketed.c.year, bucketed.c.quarter)
    )
    counted: Dict[Tuple[int, int], Dict[str, Counts]] = {}
    for year_, quarter_, total, *answered in rows:
        figures = counted[(int(year_), int(quarter_))] = _no_feedback()
        numbers = iter(int(n or 0) for n in answered)
        for question in c.FEEDBACK_QUESTIONS:
            counts = figures[question]
            for answer in given:
                counts[answer] = next(numbers)
            counts[NOT_ANSWERED] = int(total) - sum(counts[a] for a in given)
    return counted


def _wishes_achieved(scope: Scope) -> Any:
    """Each code and answer, counted over the standing wishes of each enquiry's newest completed review."""
    out = scope.out
    chosen = newest_completed_reviews(scope, scope.conv.c.id).subquery("chosen_reviews")
    return (
        select(out.c.code, out.c.achieved, func.count())
        .select_from(chosen.join(out, and_(out.c.conversation_pk == chosen.c.id, scope.standing)))
        .group_by(out.c.code, out.c.achieved)
    )


# ---------------------------------------------------------------- in Python (the reference)


def _stored_time(value: Any) -> Optional[datetime]:
    """A contract time ("2026-07-01T00:30:00Z") as naive UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def compute_board(records: Iterable[Record], since: Optional[datetime] = None,
                  until: Optional[datetime] = None) -> BoardFigures:
    """The same figures from contract dictionaries (already of the period; `since` and `until` only
    decide which quarters are shown). Pure: no I/O."""
    completed: Dict[str, Record] = {}
    paused: Dict[str, Record] = {}
    for record in records:
        if record.get("stage") != c.STAGE_REVIEW:
            continue
        if record.get("status") == c.STATUS_COMPLETED:
            _keep_newest(completed, record)
        elif record.get("status") == c.STATUS_PAUSED:
            _keep_newest(paused, record)
    board = BoardFigures()
    counted: Dict[Tuple[int, int], Dict[str, Counts]] = {}
    for record in {**paused, **completed}.values():  # a completed review wins
        moment = _stored_time(record.get("updated_at"))
        if moment is None:
            continue
        figures = counted.setdefault(uk_quarter(moment), _no_feedback())
        answers = record.get("feedback") or {}
        for question in c.FEEDBACK_QUESTIONS:
            figures[question][_feedback_key(answers.get(question))] += 1
    _fill(board, counted, since, until)
    for record in completed.values():
        for wish in _standing(record):
            if wish.get("code") in board.wishes_achieved:
                achieved = wish.get("achieved")
                board.wishes_achieved[wish["code"]][achieved if achieved in WISH_KEYS else NOT_ANSWERED] += 1
    return board
