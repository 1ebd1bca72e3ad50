"""The board's chart (matplotlib PNG): the six feedback answers by quarter, and the wishes achieved by code.

Drawn as bot/report/chart.py draws the report's chart: a bare `Figure` on the
Agg canvas (never pyplot, whose global state the web app's threads would
share), the same colours for the same answers (Okabe-Ito: told apart with
the common kinds of colour blindness), and every figure also in a table
beside it (`msp report` and the workspace page), so nothing is in the
picture alone.
"""

from __future__ import annotations

from typing import Any, List

from bot import constants as c
from bot.report.board import SHARE_KEYS, BoardFigures, wish_shares
from bot.report.board_render import NO_FEEDBACK, WISH_LABELS
from bot.report.chart import _DARK, _GREY, ACHIEVED_COLOURS, ANSWER_COLOURS, figure_png, save_figure
from bot.report.compute import ACHIEVED_FULLY, ACHIEVED_NOT, ACHIEVED_PARTIALLY, FEEDBACK_KEYS
from bot.report.render import ANSWER_LABELS, FEEDBACK_LABELS, OUTCOME_LABELS

# A wish's answer in the colour of the SG4a answer it feeds.
WISH_COLOURS = {
    c.FULLY: ACHIEVED_COLOURS[ACHIEVED_FULLY],
    c.PARTLY: ACHIEVED_COLOURS[ACHIEVED_PARTIALLY],
    c.NOT: ACHIEVED_COLOURS[ACHIEVED_NOT],
}


def _tidy(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def _feedback_panel(ax: Any, board: BoardFigures, question: str) -> Any:
    """One question: a bar per quarter, its answers stacked in the order of the table."""
    quarters = board.quarters
    bottom: List[int] = [0] * len(quarters)
    for answer in FEEDBACK_KEYS:
        counts = [board.feedback_by_quarter[q][question][answer] for q in quarters]
        ax.bar(quarters, counts, bottom=bottom, color=ANSWER_COLOURS[answer],
               edgecolor="white", linewidth=0.6, label=ANSWER_LABELS[answer])
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    ax.set_title(FEEDBACK_LABELS[question], fontsize=12)
    ax.set_ylabel("Enquiries")
    ax.set_ylim(0, max(bottom + [1]) * 1.1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelrotation=45 if len(quarters) > 6 else 0, labelsize=9)
    if not quarters:
        ax.set_xticks([])
        ax.text(0.5, 0.5, NO_FEEDBACK, transform=ax.transAxes, ha="center", va="center", color=_GREY)
    _tidy(ax)
    return ax


def _wishes_panel(ax: Any, board: BoardFigures) -> None:
    """Per code, the shares of the wishes answered fully, partly or not (each bar is 100%)."""
    codes = list(board.wishes_achieved)
    names = [OUTCOME_LABELS.get(code, code) for code in codes]
    left = [0.0] * len(codes)
    for key in SHARE_KEYS:
        shares = [100 * (wish_shares(board.wishes_achieved[code])[key] or 0) for code in codes]
        bars = ax.barh(names, shares, left=left, color=WISH_COLOURS[key], edgecolor="white",
                       linewidth=0.8, label=WISH_LABELS[key])
        ax.bar_label(bars, labels=[f"{round(s)}%" if s >= 6 else "" for s in shares], label_type="center",
                     color="white" if WISH_COLOURS[key] in _DARK else "black", fontsize=9)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    answered = [sum(board.wishes_achieved[code][key] for key in SHARE_KEYS) for code in codes]
    for row, n in enumerate(answered):
        ax.text(101, row, f"{n} answered" if n else "none answered", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("Share of the wishes answered fully, partly or not (%)")
    ax.set_title("How often each kind of wish came true (newest completed review of each enquiry)",
                 fontsize=12)
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.45, -0.15), frameon=False, fontsize=10)
    _tidy(ax)


def _figure(board: BoardFigures) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 17), dpi=150)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(4, 2, height_ratios=(1, 1, 1, 1.5), hspace=0.6, wspace=0.25)
    span = f"{board.quarters[0]} to {board.quarters[-1]}" if board.quarters else "no feedback yet"
    fig.suptitle(f"What people said at the end, by quarter (UK time): {span}", fontsize=15, fontweight="bold")
    panels = [_feedback_panel(fig.add_subplot(grid[i // 2, i % 2]), board, question)
              for i, question in enumerate(c.FEEDBACK_QUESTIONS)]
    handles, labels = panels[0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=len(FEEDBACK_KEYS), loc="upper center", bbox_to_anchor=(0.5, 0.955),
               frameon=False, fontsize=10)
    _wishes_panel(fig.add_subplot(grid[3, :]), board)
    return fig


def draw_board_chart(board: BoardFigures, path: str) -> None:
    """Write the chart to a PNG file (`msp report --board-chart`)."""
    save_figure(_figure(board), path)


def board_chart_png(board: BoardFigures) -> bytes:
    """The chart as PNG bytes (the workspace's report page)."""
    return figure_png(_figure(board))
