"""Argument types shared by the `msp` sub-commands (`bot/cli.py` and the `bot/cli_*.py` it adds)."""

from __future__ import annotations

import argparse
from datetime import datetime


def iso_date(value: str) -> datetime:
    """A day typed as YYYY-MM-DD; anything else is argparse's usage error, naming the value."""
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-04-01") from exc
