"""What the `msp` sub-commands share: argument types, and the audit line of who ran a command."""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime


def iso_date(value: str) -> datetime:
    """A day typed as YYYY-MM-DD; anything else is argparse's usage error, naming the value."""
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-04-01") from exc


def audit(action: str, detail: str) -> None:
    """Record in the audit log that the operating-system user ran `action`."""
    from bot.store import audit as audit_log

    audit_log.record(getpass.getuser(), action, detail)
