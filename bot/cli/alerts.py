"""`msp alerts`: the duty alerts and how far each got, as a table or JSON."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Dict, List

from bot.cli.args import audit as _audit
from bot.cli.args import iso, render_table, write_listing

if TYPE_CHECKING:
    from bot.store.alerts import AlertView


ALERT_COLUMNS = (
    "id", "raised_at", "kind", "reason", "follows", "route", "enquiry_ref", "conversation_id", "delivery",
    "attempts", "last_error", "acknowledged", "escalated_at",
)


def _alert_row(alert: AlertView) -> Dict[str, Any]:
    """One alert as `msp alerts` shows it: ids, kind, why, route, times and delivery, never words.

    `follows`: the first alert of the chain a follow-up belongs to. `escalated_at`, on a first
    alert: when nobody had acknowledged it in time and it went to the out-of-hours team.
    """
    return {
        "id": alert.id,
        "raised_at": iso(alert.raised_at),
        "kind": alert.kind,
        "reason": alert.reason,
        "follows_alert_id": alert.follows_alert_id,
        "route": alert.route,
        "enquiry_ref": alert.enquiry_ref,
        "conversation_id": alert.conversation_id,
        "stage": alert.stage,
        "message_id": alert.message_id,
        "safe_contact": alert.safe_contact,
        "delivery": alert.delivery,
        "attempts": alert.attempts,
        "channels_done": list(alert.channels_done),
        "sent_at": iso(alert.sent_at),
        "last_error": alert.last_error,
        "acknowledged": alert.acknowledged_at is not None,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": iso(alert.acknowledged_at),
        "escalated_at": iso(alert.escalated_at),
    }


def render_alerts(rows: List[Dict[str, Any]]) -> str:
    """Plain aligned columns, oldest first, for the duty team to read at a glance."""
    if not rows:
        return "No alerts match.\n"

    def cell(row: Dict[str, Any], column: str) -> str:
        value = row["follows_alert_id"] if column == "follows" else row[column]
        if column == "acknowledged":
            return f"yes, by {row['acknowledged_by']}" if value else "no"
        if column in ("raised_at", "escalated_at") and value:
            return str(value).replace("T", " ").rstrip("Z")
        return "-" if value is None or value == "" else str(value)

    table = [[cell(row, col) for col in ALERT_COLUMNS] for row in rows]
    heads = [col.replace("_", " ") for col in ALERT_COLUMNS]
    open_count = sum(1 for row in rows if not row["acknowledged"])
    return (render_table(heads, table)
            + f"\n{len(rows)} alert(s), {open_count} not acknowledged. Times are UTC.\n")


def cmd_alerts(args: argparse.Namespace) -> int:
    from bot.store import alerts

    found = alerts.list_alerts(delivery=args.delivery, open_only=args.open)
    rows = [_alert_row(a) for a in found]
    _audit("alerts", f"format={args.format} delivery={args.delivery or '*'} "
                     f"open={'yes' if args.open else 'no'} alerts={len(rows)}")
    write_listing(rows, args.format, lambda: render_alerts(rows))
    return 0


