"""The SG3a-style figure: where taking part was hard, was an advocate offered, taken up, and referred?

NHS England's SG3a counts enquiries where the person lacked capacity, and
whether an advocate, family member or friend supported them. The assistant
never judges capacity: it notices substantial difficulty in taking part
(the `advocacy_needed` flag, bot/language/difficulty.py). So this counts the
enquiries with that flag among the records last updated in the period, and
of them: offered an advocate, took it up (said yes, or asked for one), an
advocate or family member or friend answered with or for them, and the
practitioner's decision (referred, no referral needed, not decided yet).

One row per enquiry (a record without a reference counts on its own), in one
SQL aggregate over a per-enquiry GROUP BY: SQLite and PostgreSQL run the same SQL.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from bot import constants as c
from bot.report.render import _count_section, _heading, _wrap

KEYS: Tuple[str, ...] = ("had_difficulty", "offered", "taken_up", "supported", "referred", "not_needed",
                         "not_decided")
LABELS: Dict[str, str] = {
    "had_difficulty": "Taking part was hard (signs noticed)",
    "offered": "Offered an advocate",
    "taken_up": "Took it up (said yes, or asked)",
    "supported": "An advocate, family or friend answered",
    "referred": "Referred for an advocate",
    "not_needed": "No referral needed (decided)",
    "not_decided": "Not decided yet",
}
SECTION = "advocacy"
NOTE = ("Enquiries with records last updated in the period where the assistant noticed that taking part "
        "was hard. Capacity is a practitioner's decision: the assistant never judges it.")


def compute_advocacy_between(since: Optional[datetime] = None,
                             until: Optional[datetime] = None) -> Dict[str, int]:
    """The figure for records last updated in [since, until), counted in the database."""
    from bot.store.db import session_scope

    with session_scope() as session:
        return _compute(session, since, until)


def _compute(session: Any, since: Optional[datetime], until: Optional[datetime]) -> Dict[str, int]:
    from bot.store.models import Advocacy, Conversation

    conv, adv = Conversation.__table__, Advocacy.__table__
    period: List[ColumnElement] = []
    if since is not None:
        period.append(conv.c.updated_at >= since)
    if until is not None:
        period.append(conv.c.updated_at < until)
    has_ref = conv.c.enquiry_ref.isnot(None) & (conv.c.enquiry_ref != "")
    enquiry = case((has_ref, literal("ref:") + conv.c.enquiry_ref),
                   else_=literal("conv:") + conv.c.conversation_id)

    def seen(condition: ColumnElement) -> Any:
        return func.max(case((condition, 1), else_=0))

    per_enquiry = (
        select(
            seen(conv.c.advocacy_needed.is_(True)).label("had_difficulty"),
            seen(adv.c.offered_at.isnot(None)).label("offered"),
            seen(or_(adv.c.offer_answer == c.YES, conv.c.advocacy_requested.is_(True),
                     conv.c.wants_advocate == c.YES)).label("taken_up"),
            seen(conv.c.speaker_role.in_([c.ROLE_ADVOCATE, c.ROLE_FAMILY_FRIEND])).label("supported"),
            seen(adv.c.decision == c.ADVOCACY_REFERRED).label("referred"),
            seen(adv.c.decision == c.ADVOCACY_NOT_NEEDED).label("not_needed"),
            seen(adv.c.decision.isnot(None)).label("decided"),
        )
        .select_from(conv.outerjoin(adv, adv.c.conversation_pk == conv.c.id))
        .where(*period)
        .group_by(enquiry)
        .subquery()
    )
    row = session.execute(
        select(
            func.count(),
            *(func.coalesce(func.sum(per_enquiry.c[key]), 0) for key in KEYS[1:-1]),
            func.coalesce(func.sum(1 - per_enquiry.c.decided), 0),
        ).where(per_enquiry.c.had_difficulty == 1)
    ).one()
    return {key: int(value) for key, value in zip(KEYS, row, strict=True)}


def render_advocacy_table(figure: Dict[str, int]) -> str:
    lines: List[str] = []
    _heading(lines, "Advocacy where taking part was hard (SG3a-style)")
    lines += _wrap("One per enquiry. " + NOTE, 78, "  ")
    _count_section(lines, figure, LABELS, total=False)
    return "\n".join(lines) + "\n"


def render_advocacy_csv(figure: Dict[str, int]) -> str:
    """More `section,item,value` rows, to follow the report's CSV (no header of their own)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows((SECTION, key, value) for key, value in figure.items())
    return out.getvalue()


def advocacy_to_dict(figure: Dict[str, int]) -> Dict[str, Any]:
    return {SECTION: {**figure, "note": NOTE}}
