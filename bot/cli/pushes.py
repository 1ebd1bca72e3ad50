"""`msp pushes`: the records sent (or waiting to be sent) to the council's case system; `msp pushes stop ID`.

Kept apart from `msp alerts`: a push is never given up, so one that keeps
failing waits here, with its tries and last error, until it is delivered or a
practitioner stops it. Ids, versions, states and times only, never words.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from bot import constants as c
from bot.cli.args import audit as _audit
from bot.cli.args import iso, render_table, write_listing

if TYPE_CHECKING:
    from bot.store.pushes import PushView

COLUMNS = ("id", "queued_at", "enquiry_ref", "conversation_id", "stage", "version", "reason", "state",
           "attempts", "last_error", "next_try")


def push_row(push: PushView) -> Dict[str, Any]:
    """One push as `msp pushes` shows it. `next_try` only while it is still to go."""
    return {
        "id": push.id,
        "queued_at": iso(push.queued_at),
        "enquiry_ref": push.enquiry_ref,
        "conversation_id": push.conversation_id,
        "stage": push.stage,
        "version": push.version,
        "reason": push.reason,
        "state": push.state,
        "failing": push.failing,
        "attempts": push.attempts,
        "last_error": push.last_error,
        "last_attempt_at": iso(push.last_attempt_at),
        "next_try": iso(push.next_attempt_at) if push.state == c.PUSH_QUEUED else None,
        "sent_at": iso(push.sent_at),
        "closed_at": iso(push.closed_at),
        "stopped_by": push.stopped_by,
    }


def render(rows: List[Dict[str, Any]], waiting_note: Optional[str]) -> str:
    """Plain aligned columns, newest first, and a line on what is still to go."""
    lines: List[str] = []
    if waiting_note:
        lines.append(f"Note: {waiting_note}.\n\n")
    if not rows:
        return "".join(lines) + "No pushes match.\n"

    def cell(row: Dict[str, Any], column: str) -> str:
        value = row[column]
        if value is None or value == "":
            return "-"
        return str(value).replace("T", " ").rstrip("Z") if column in ("queued_at", "next_try") else str(value)

    table = [[cell(row, col) for col in COLUMNS] for row in rows]
    queued = sum(1 for row in rows if row["state"] == c.PUSH_QUEUED)
    failing = sum(1 for row in rows if row["failing"])
    return ("".join(lines) + render_table([col.replace("_", " ") for col in COLUMNS], table)
            + f"\n{len(rows)} push(es), {queued} still to go, {failing} of them failing. Times are UTC.\n")


def cmd_pushes(args: argparse.Namespace) -> int:
    if getattr(args, "pushes_command", None) == "stop":
        return cmd_stop(args)
    from bot.alerts.pushes import ready
    from bot.settings import load_settings
    from bot.store import pushes

    found = pushes.list_pushes(state=args.state, failing=args.failing, enquiry_ref=args.enquiry)
    rows = [push_row(p) for p in found]
    failing = "yes" if args.failing else "no"
    _audit("pushes", f"format={args.format} state={args.state or '*'} failing={failing} "
                     f"enquiry={args.enquiry or '*'} pushes={len(rows)}")
    write_listing(rows, args.format, lambda: render(rows, ready(load_settings())))
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop one push that is still to go (audited as push_stop, by the operating-system user)."""
    from bot.store import pushes

    if not pushes.stop(args.push_id, getpass.getuser()):
        print(f"Push {args.push_id} is not waiting to be sent (already sent, superseded, stopped, or no such "
              "push). Nothing was changed. See `msp pushes`.", file=sys.stderr)
        return 2
    print(f"Stopped push {args.push_id}: it will not be sent again. A newer version of the record, "
          "when there is one, is sent as usual.")
    return 0


def add_commands(sub: Any) -> None:
    """`msp pushes [--state S] [--failing] [--enquiry REF] [--format table|json]` and `msp pushes stop ID`."""
    listing = sub.add_parser("pushes", help="list record pushes to the case system and how far each got")
    listing.add_argument("--state", choices=c.PUSH_STATES, help="only pushes in this state")
    listing.add_argument("--failing", action="store_true", help="only pushes still to go after a failed try")
    listing.add_argument("--enquiry", help="only this enquiry reference")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(func=cmd_pushes)
    actions = listing.add_subparsers(dest="pushes_command")
    stop = actions.add_parser("stop", help="stop a push that keeps failing (audited)")
    stop.add_argument("push_id", type=int, help="the push's id (from msp pushes)")
    stop.set_defaults(func=cmd_stop)
