"""What the workspace's views share: a form's dates, UK times for the templates, and notices.

A notice says what the last action did, once, on the next page (Flask's
flashed messages). It holds ids and codes only; review/_notices.html has the
words. The template filters and the context processor are registered on the
`review` blueprint when this module is imported (bot/web/workspace/views/).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from flask import flash, get_flashed_messages

from bot.web.workspace import forms, now, review, times
from bot.web.workspace.views.words import CODE_WORDS


def dates(form: forms.DatesForm) -> Tuple[Optional[datetime], Optional[datetime]]:
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


def notify(notice: Dict[str, Any], category: str = "success") -> None:
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
