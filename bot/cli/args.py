"""What the `msp` sub-commands share: argument types, the audit line of who ran a command, and how a
listing prints (times as UTC text, plain aligned columns)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence


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


def iso(moment: Optional[datetime]) -> Optional[str]:
    """A UTC time as the JSON listings give it: 2026-04-01T09:30:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def render_table(heads: Sequence[str], rows: List[List[str]]) -> str:
    """Plain aligned columns under a ruled heading, for a person reading a terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def write_listing(rows: List[Dict[str, Any]], form: str, table: Callable[[], str]) -> None:
    """A listing on standard output: every field as JSON (`form` json), or `table()` for a person."""
    if form == "json":
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table())
