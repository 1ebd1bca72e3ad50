"""MSP figures for a period: `msp report`, and the workspace's report page.

How "outcomes achieved" (SAC table SG4a) is worked out, one answer per enquiry:

Only enquiries with a COMPLETED review count (stage "review", status
"completed"). When an enquiry has several completed reviews, the newest
(by updated_at) is used. A record with no enquiry reference stands on its
own conversation id.

Each outcome in that review was answered fully, partly, not, dont_know, or
not at all (null). Only fully, partly and not are answers; dont_know and
null are left out.

- FULLY achieved: every outcome with an answer was "fully".
- NOT achieved: no outcome was "fully" or "partly" (every answer was "not").
- PARTIALLY achieved: anything else (a mix, or any "partly").
- NOT RECORDED: the review has no outcomes, or every outcome is dont_know
  or null. We do not guess.

Paused, in-progress and declined reviews are not counted.

The rest of the report, from the same records:

- "Asked about desired outcomes" (SG4a): one outcomes conversation per
  enquiry (the newest by updated_at), any status: asked_expressed,
  asked_none_expressed, or not recorded (null).
- Wishes by outcome code: the same one-per-enquiry outcomes conversations,
  each code counted once per conversation, under its current code (a
  practitioner's correction counts, the person's words never change).
- Closing feedback: one review per enquiry, the newest completed one, or
  failing that the newest paused one; each question's answer, or "not
  answered".
- Flags and record counts: every record in the period.

Values outside the record contract count as "not recorded" / "not answered".

The package has one computing module and a renderer per audience:

- `compute`: the figures (`Report`). `compute_report_between` counts them
  with SQL aggregates in the records database (the CLI and the web use it);
  `compute_report` counts the same figures from contract dictionaries in
  plain Python, the reference the SQL is tested against.
- `render`: the text table, the long CSV and the JSON dictionary.
- `chart`: the matplotlib PNG, to a file or as bytes.
- `board`, `board_render`, `board_chart`: what the board learns, the six
  feedback answers by quarter (UK time) and the wishes fully, partly or not
  achieved by code; counted in SQL over the same choices as `compute`
  (`scope_between`, `feedback_reviews`, `newest_completed_reviews`), with a
  plain-Python reference, rendered and drawn the same way.

`msp report` (arguments, compute, render, audit) is in `bot/cli/report.py`.

No Rasa imports here: the report runs without the assistant.
"""

from bot.report.compute import (
    ROLL_UP_RULE,
    Report,
    compute_report,
    compute_report_between,
    roll_up_achieved,
)
from bot.report.render import render_csv, render_table, report_to_dict

__all__ = [
    "ROLL_UP_RULE",
    "Report",
    "compute_report",
    "compute_report_between",
    "render_csv",
    "render_table",
    "report_to_dict",
    "roll_up_achieved",
]
