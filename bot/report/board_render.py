"""The board's figures (bot/report/board.py) for people and programs: text, CSV rows, a JSON dictionary.

They follow the report's own renderings (bot/report/render.py): `msp report`
prints them after the SG4a sections, in the same format.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot import constants as c
from bot.report.board import SHARE_KEYS, WISH_KEYS, BoardFigures, wish_shares
from bot.report.compute import FEEDBACK_KEYS, NOT_ANSWERED
from bot.report.render import ANSWER_LABELS, FEEDBACK_LABELS, OUTCOME_LABELS, _grid, _heading, _wrap

WISH_LABELS: Dict[str, str] = {
    c.FULLY: "Fully",
    c.PARTLY: "Partly",
    c.NOT: "Not",
    c.DONT_KNOW: "Don't know",
    NOT_ANSWERED: "Not answered",
}
MONTHS = {"Q1": "January to March", "Q2": "April to June", "Q3": "July to September",
          "Q4": "October to December"}
QUARTERS_NOTE = (
    "Quarters are calendar quarters in UK time (2026 Q3 is July to September 2026). Each enquiry counts "
    "once, in the quarter its review was last updated: its newest completed review, else its newest "
    "paused one, as in the table above."
)
WISHES_NOTE = (
    "Every wish that still stands in each enquiry's newest completed review. The shares are of the wishes "
    "answered fully, partly or not; don't know and not answered are counted but left out of the shares. "
    "Wishes taken away are not counted."
)
NO_FEEDBACK = "No one gave feedback in this period."


def quarter_words(name: str) -> str:
    """ "2026 Q3" -> "July to September 2026"."""
    year, _, quarter = name.partition(" ")
    return f"{MONTHS.get(quarter, quarter)} {year}"


def percent(share: Optional[float]) -> str:
    return "" if share is None else f"{round(100 * share)}%"


def render_board_table(board: BoardFigures) -> str:
    """The two sections as plain aligned text, to follow the report's table."""
    lines: List[str] = []
    _heading(lines, "What people said at the end, by quarter")
    lines += _wrap(QUARTERS_NOTE, 78, "  ")
    if not board.reviews:
        lines.append(f"  {NO_FEEDBACK}")
    for question in c.FEEDBACK_QUESTIONS:
        lines += ["", f"  {FEEDBACK_LABELS[question]}"]
        rows = {quarter: board.feedback_by_quarter[quarter][question] for quarter in board.quarters}
        if rows:
            _grid(lines, rows, {}, FEEDBACK_KEYS, ANSWER_LABELS, total=True)

    _heading(lines, "How often each kind of wish came true")
    lines += _wrap(WISHES_NOTE, 78, "  ")
    lines.append("")
    lines += _wish_lines(board)
    return "\n".join(lines) + "\n"


def _wish_lines(board: BoardFigures) -> List[str]:
    label_width = 2 + max(len(label) for label in OUTCOME_LABELS.values())
    heads = ["Wishes"] + [WISH_LABELS[key] for key in WISH_KEYS]
    widths = [8] + [11 if key in SHARE_KEYS else max(len(WISH_LABELS[key]), 4) + 2 for key in WISH_KEYS]
    lines = ["  " + " " * label_width + "".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))]
    for code, counts in board.wishes_achieved.items():
        shares = wish_shares(counts)
        cells = [str(sum(counts.values()))] + [
            f"{counts[key]} {percent(shares[key]):>4}" if key in SHARE_KEYS else str(counts[key])
            for key in WISH_KEYS
        ]
        lines.append(f"  {OUTCOME_LABELS.get(code, code):<{label_width}}"
                     + "".join(f"{cell:>{w}}" for cell, w in zip(cells, widths, strict=True)).rstrip())
    return lines


def _rounded(share: Optional[float]) -> Optional[float]:
    return None if share is None else round(share, 4)


def board_rows(board: BoardFigures) -> Iterable[Tuple[str, str, Any]]:
    """`section,item,value` rows, as the report's long CSV has them."""
    for quarter in board.quarters:
        for question, counts in board.feedback_by_quarter[quarter].items():
            for answer, value in counts.items():
                yield (f"feedback_by_quarter.{quarter}.{question}", answer, value)
    for code, counts in board.wishes_achieved.items():
        for key, value in counts.items():
            yield (f"wishes_achieved.{code}", key, value)
        for key, share in wish_shares(counts).items():
            yield (f"wishes_achieved_share.{code}", key, "" if share is None else _rounded(share))


def render_board_csv(board: BoardFigures) -> str:
    """The rows without a header: they follow the report's own CSV (render.render_csv)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(board_rows(board))
    return out.getvalue()


def board_to_dict(board: BoardFigures) -> Dict[str, Any]:
    """The figures as plain data, merged into `msp report --format json` and given to the workspace page."""
    return {
        "quarters": list(board.quarters),
        "reviews_with_feedback": board.reviews,  # the sum of every quarter
        "feedback_by_quarter": {
            quarter: {q: dict(counts) for q, counts in board.feedback_by_quarter[quarter].items()}
            for quarter in board.quarters
        },
        "wishes_achieved": {code: dict(counts) for code, counts in board.wishes_achieved.items()},
        "wishes_achieved_shares": {
            code: {key: _rounded(share) for key, share in wish_shares(counts).items()}
            for code, counts in board.wishes_achieved.items()
        },
    }
