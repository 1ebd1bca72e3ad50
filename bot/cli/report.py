"""`msp report`: arguments in, figures counted in the database (bot/report/), rendered, audited.

The SG4a figures (bot/report/compute.py) come first, then the board's: the
feedback by quarter and the wishes achieved by code (bot/report/board.py).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable, Optional

from bot.report.advocacy import (
    advocacy_to_dict,
    compute_advocacy_between,
    render_advocacy_csv,
    render_advocacy_table,
)
from bot.report.board import compute_board_between
from bot.report.board_render import board_to_dict, render_board_csv, render_board_table
from bot.report.compute import compute_report_between
from bot.report.render import render_csv, render_table, report_to_dict


def _day(moment: Optional[datetime]) -> Optional[str]:
    return moment.strftime("%Y-%m-%d") if moment else None


def run_report(args: argparse.Namespace) -> int:
    """`msp report`: figures for --from .. --to (both days included)."""
    from bot.store import audit

    date_from: Optional[datetime] = getattr(args, "date_from", None)
    date_to: Optional[datetime] = getattr(args, "date_to", None)
    fmt: str = getattr(args, "format", "table") or "table"
    chart: Optional[str] = getattr(args, "chart", None)
    board_chart: Optional[str] = getattr(args, "board_chart", None)
    if date_from and date_to and date_from > date_to:
        print(
            f"The --from date ({_day(date_from)}) is after the --to date ({_day(date_to)}). "
            "Please give the earlier date first.",
            file=sys.stderr,
        )
        return 2

    until = date_to + timedelta(days=1) if date_to else None  # --to includes its whole day
    report = replace(
        compute_report_between(date_from, until),
        period_from=_day(date_from),
        period_to=_day(date_to),
    )
    board = compute_board_between(date_from, until)
    advocacy = compute_advocacy_between(date_from, until)  # SG3a-style
    audit.record(
        getpass.getuser(),
        "report",
        f"format={fmt} from={_day(date_from) or '*'} to={_day(date_to) or '*'} "
        f"records={report.records} chart={chart or '-'}",
    )

    if fmt == "json":
        figures = {**report_to_dict(report), **board_to_dict(board), **advocacy_to_dict(advocacy)}
        json.dump(figures, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        sys.stdout.write(render_csv(report) + render_board_csv(board) + render_advocacy_csv(advocacy))
    else:
        sys.stdout.write(render_table(report) + (render_board_table(board) + render_advocacy_table(advocacy)
                                                 if report.records else ""))
    sys.stdout.flush()

    if chart:
        from bot.report.chart import draw_chart

        if not _write_chart(chart, lambda path: draw_chart(report, path)):
            return 1
    if board_chart:
        from bot.report.board_chart import draw_board_chart

        if not _write_chart(board_chart, lambda path: draw_board_chart(board, path)):
            return 1
    return 0


def _write_chart(path: str, draw: Callable[[str], None]) -> bool:
    """Draw to `path`, and say where it went, or why it could not."""
    try:
        draw(path)
    except OSError as exc:
        print(f"Could not write the chart to {path}: {exc}", file=sys.stderr)
        return False
    print(f"Chart written to {path}", file=sys.stderr)
    return True
