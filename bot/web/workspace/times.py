"""Times as a duty worker reads them: UK time, in plain words ("today, 3:15pm", "Mon 7 Dec 2026, 9:02am").

Every time in the store is naive UTC (and the record contract writes UTC with
a Z); the workspace shows it in Europe/London, summer time and all. No
Flask here: the workspace registers these as template filters.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    UK: tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no time zone data on this machine: UTC, said plainly, rather than a crash
    UK = timezone.utc


# Named here, not by strftime: the names must not change with the server's locale.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def as_uk(moment: Any) -> Optional[datetime]:
    """A stored time (naive UTC, aware, or contract text like 2026-12-07T15:15:00Z) in UK time."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(UK)


def clock(moment: Any) -> str:
    """The time of day in UK time: "3:15pm", "9:02am", "midday", "midnight" (GOV.UK style)."""
    local = as_uk(moment)
    if local is None:
        return ""
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def uk_time(moment: Any, now: Optional[datetime] = None) -> str:
    """The day and time in UK time: "today, 3:15pm", "yesterday, 9:02am", or "Mon 7 Dec 2026, 3:15pm".

    `now` (naive UTC, like the store) decides what "today" is; "" when there is no time.
    """
    local = as_uk(moment)
    if local is None:
        return ""
    today = as_uk(now).date() if now is not None else datetime.now(UK).date()  # type: ignore[union-attr]
    if local.date() == today:
        day = "today"
    elif local.date() == today - timedelta(days=1):
        day = "yesterday"
    else:
        day = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
    suffix = " UTC" if UK is timezone.utc else ""
    return f"{day}, {clock(local)}{suffix}"
