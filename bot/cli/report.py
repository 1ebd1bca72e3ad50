"""`msp report`: arguments in, figures counted in the database (bot/report/), rendered, audited."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Optional

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
    audit.record(
        getpass.getuser(),
        "report",
        f"format={fmt} from={_day(date_from) or '*'} to={_day(date_to) or '*'} "
        f"records={report.records} chart={chart or '-'}",
    )

    if fmt == "json":
        json.dump(report_to_dict(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        sys.stdout.write(render_csv(report))
    else:
        sys.stdout.write(render_table(report))
    sys.stdout.flush()

    if chart:
        from bot.report.chart import draw_chart

        try:
            draw_chart(report, chart)
        except OSError as exc:
            print(f"Could not write the chart to {chart}: {exc}", file=sys.stderr)
            return 1
        print(f"Chart written to {chart}", file=sys.stderr)
    return 0
