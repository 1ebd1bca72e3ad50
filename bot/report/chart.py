"""The report as one PNG chart (matplotlib): outcomes achieved, asked, and feedback answers.

Drawn on a bare `Figure` with the Agg canvas, never through pyplot: pyplot
keeps global state, and the web app draws charts from several threads.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, List, Union

from bot import constants as c
from bot.report.compute import (
    ACHIEVED_FULLY,
    ACHIEVED_NOT,
    ACHIEVED_PARTIALLY,
    ASKED_KEYS,
    FEEDBACK_KEYS,
    NOT_ANSWERED,
    NOT_RECORDED,
    Report,
)
from bot.report.render import ACHIEVED_LABELS, ANSWER_LABELS, FEEDBACK_LABELS, period_words

# Okabe-Ito colours: told apart with the common kinds of colour blindness.
_BLUE = "#0072B2"
_SKY = "#56B4E9"
_VERMILLION = "#D55E00"
_GREY = "#999999"
_PURPLE = "#CC79A7"
_PALE = "#E6E6E6"
ACHIEVED_COLOURS = {ACHIEVED_FULLY: _BLUE, ACHIEVED_PARTIALLY: _SKY, ACHIEVED_NOT: _VERMILLION}
ASKED_COLOURS = {c.ASKED_EXPRESSED: _BLUE, c.ASKED_NONE_EXPRESSED: _SKY, NOT_RECORDED: _GREY}
ANSWER_COLOURS = {
    c.YES: _BLUE,
    c.PARTLY: _SKY,
    c.NO: _VERMILLION,
    c.DONT_KNOW: _GREY,
    c.DECLINED: _PURPLE,
    NOT_ANSWERED: _PALE,
}
_DARK = {_BLUE, _VERMILLION}


def _figure(report: Report) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 9.5), dpi=150)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.25), hspace=0.5, wspace=0.55)
    fig.suptitle(
        f"Making Safeguarding Personal: {period_words(report)}  "
        f"({report.records} record{'s' if report.records != 1 else ''})",
        fontsize=15,
        fontweight="bold",
    )

    # 1. Outcomes achieved (SG4a)
    ax = fig.add_subplot(grid[0, 0])
    keys = [ACHIEVED_FULLY, ACHIEVED_PARTIALLY, ACHIEVED_NOT]
    values = [report.outcomes_achieved[k] for k in keys]
    bars = ax.bar(
        [ACHIEVED_LABELS[k].replace(" ", "\n", 1) for k in keys],
        values,
        color=[ACHIEVED_COLOURS[k] for k in keys],
    )
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.set_title("Did people get the outcomes they wanted?", fontsize=12)
    ax.set_ylabel("Enquiries (completed review)")
    ax.set_xlabel(
        f"Not shown: {report.outcomes_achieved[NOT_RECORDED]} not recorded "
        "(no outcome answered)",
        fontsize=9,
    )
    ax.set_ylim(0, max(values + [1]) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)

    # 2. Asked about desired outcomes (SG4a)
    ax = fig.add_subplot(grid[0, 1])
    keys = list(ASKED_KEYS)
    values = [report.asked_about_outcomes[k] for k in keys]
    labels = ["Asked, said what\nthey wanted", "Asked, nothing\nwanted", "Not recorded"]
    bars = ax.barh(labels, values, color=[ASKED_COLOURS[k] for k in keys])
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.invert_yaxis()
    ax.set_title("Were people asked what they wanted?", fontsize=12)
    ax.set_xlabel("Enquiries (outcomes conversation)")
    ax.set_xlim(0, max(values + [1]) * 1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)

    # 3. Feedback answers, stacked per question
    ax = fig.add_subplot(grid[1, :])
    questions = list(c.FEEDBACK_QUESTIONS)
    names = [FEEDBACK_LABELS[q] for q in questions]
    left: List[int] = [0] * len(questions)
    for answer in FEEDBACK_KEYS:
        counts = [report.feedback[q][answer] for q in questions]
        bars = ax.barh(
            names, counts, left=left, color=ANSWER_COLOURS[answer],
            edgecolor="white", linewidth=0.8, label=ANSWER_LABELS[answer],
        )
        ax.bar_label(
            bars,
            labels=[str(n) if n else "" for n in counts],
            label_type="center",
            color="white" if ANSWER_COLOURS[answer] in _DARK else "black",
            fontsize=10,
            fontweight="bold",
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_title("What people said at the end (closing feedback)", fontsize=12)
    ax.set_xlabel("People who gave feedback (one review per enquiry)")
    ax.set_xlim(0, max(left + [1]))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        ncol=len(FEEDBACK_KEYS), loc="upper center", bbox_to_anchor=(0.5, -0.16),
        frameon=False, fontsize=10,
    )
    if report.records == 0:
        ax.text(0.5, 0.5, "No records in this period", transform=ax.transAxes,
                ha="center", va="center", fontsize=20, color=_GREY)
    return fig


def save_figure(fig: Any, target: Union[str, BinaryIO]) -> None:
    """A figure as PNG, to a path or a file object (this chart and the board's, bot/report/board_chart.py)."""
    fig.savefig(target, format="png", dpi=150, bbox_inches="tight", facecolor="white")


def figure_png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    save_figure(fig, buffer)
    return buffer.getvalue()


def draw_chart(report: Report, path: str) -> None:
    """Write the chart to a PNG file (`msp report --chart`)."""
    save_figure(_figure(report), path)


def chart_png(report: Report) -> bytes:
    """The chart as PNG bytes (the workspace's report page)."""
    return figure_png(_figure(report))
