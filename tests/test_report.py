"""`msp report`: SG4a figures from contract records, worked out by hand, then via the store."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest

from bot import constants as c
from bot.cli.main import main
from bot.report import (
    ROLL_UP_RULE,
    compute_report,
    render_csv,
    render_table,
    report_to_dict,
    roll_up_achieved,
)
from bot.store import records

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# matplotlib 3.5 calls pyparsing's old names; that noise is not ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")


def rec(
    conversation_id: str,
    stage: str,
    status: str,
    enquiry_ref: Optional[str] = None,
    updated_at: str = "2026-05-01T10:00:00Z",
    asked: Optional[str] = None,
    outcomes: Sequence[Tuple[str, Optional[str]]] = (),
    feedback: Optional[Dict[str, str]] = None,
    flags: Sequence[str] = (),
) -> Dict[str, Any]:
    """A record exactly as record-contract.md v1 shows it."""
    return {
        "conversation_id": conversation_id,
        "enquiry_ref": enquiry_ref,
        "stage": stage,
        "status": status,
        "speaker_role": "person",
        "asked_about_outcomes": asked,
        "outcomes": [
            {"code": code, "own_words": f"words for {code}",
             "may_not_be_achievable": code in c.MAY_NOT_BE_ACHIEVABLE, "achieved": achieved}
            for code, achieved in outcomes
        ],
        "feedback": {**{q: None for q in c.FEEDBACK_QUESTIONS}, "comments": None,
                     **(feedback or {})},
        "flags": {f: f in flags for f in c.FLAGS},
        "confirmed": True,
        "started_at": "2026-04-01T09:00:00Z",
        "updated_at": updated_at,
    }


OUT, R = c.STAGE_OUTCOMES, c.STAGE_REVIEW
DONE, PAUSED, GOING, DECLINED = (
    c.STATUS_COMPLETED, c.STATUS_PAUSED, c.STATUS_IN_PROGRESS, c.STATUS_DECLINED,
)
ALL_YES = {q: c.YES for q in c.FEEDBACK_QUESTIONS}
ALL_DECLINED = {q: c.DECLINED for q in c.FEEDBACK_QUESTIONS}


def hand_built() -> List[Dict[str, Any]]:
    return [
        # ---- stage "outcomes" (8 records) -------------------------------------
        # O1  E1  completed, expressed: feel_safer, abuser_stays_away   [urgent_safety]
        rec("o1", OUT, DONE, "E1", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None), (c.ABUSER_STAYS_AWAY, None)],
            flags=[c.FLAG_URGENT_SAFETY]),
        # O2  E2  completed, expressed: feel_safer, be_involved
        rec("o2", OUT, DONE, "E2", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None), (c.BE_INVOLVED, None)]),
        # O3  E3  completed, expressed: police_prosecute
        rec("o3", OUT, DONE, "E3", asked=c.ASKED_EXPRESSED, outcomes=[(c.POLICE_PROSECUTE, None)]),
        # O4a E4  OLDER (05-02) paused, expressed: something_else   -> not counted
        rec("o4a", OUT, PAUSED, "E4", "2026-05-02T10:00:00Z", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.SOMETHING_ELSE, None)]),
        # O4b E4  NEWER (05-03) completed, asked but none expressed -> this one counts
        rec("o4b", OUT, DONE, "E4", "2026-05-03T10:00:00Z", asked=c.ASKED_NONE_EXPRESSED),
        # O5  no enquiry ref, declined before the question: asked null   [wants_human_contact]
        rec("anon-1", OUT, DECLINED, flags=[c.FLAG_WANTS_HUMAN_CONTACT]),
        # O6  no enquiry ref, in progress, expressed: feel_safer (twice!), access_support
        #     -> feel_safer counted once for this record                 [advocacy_requested]
        rec("anon-2", OUT, GOING, asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None), (c.FEEL_SAFER, None), (c.ACCESS_SUPPORT, None)],
            flags=[c.FLAG_ADVOCACY_REQUESTED]),
        # O7  E5  completed, expressed: feel_safer, make_friends
        rec("o7", OUT, DONE, "E5", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None), (c.MAKE_FRIENDS, None)]),
        # ---- stage "review" (10 records) --------------------------------------
        # R1  E1  completed: fully, fully -> FULLY; feedback all yes
        rec("r1", R, DONE, "E1", "2026-06-01T10:00:00Z",
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.ABUSER_STAYS_AWAY, c.FULLY)],
            feedback=ALL_YES),
        # R9  E1  paused, NEWER than R1, answered "not", feedback goals_met no
        #     -> not in achievement (paused), not in feedback (E1 has a completed review)
        rec("r9", R, PAUSED, "E1", "2026-06-20T10:00:00Z",
            outcomes=[(c.FEEL_SAFER, c.NOT)], feedback={c.GOALS_MET: c.NO}),
        # R2  E2  completed: fully, partly -> PARTIALLY
        rec("r2", R, DONE, "E2",
            outcomes=[(c.FEEL_SAFER, c.FULLY), (c.BE_INVOLVED, c.PARTLY)],
            feedback={c.GOALS_MET: c.PARTLY, c.CHANCE_TO_SAY: c.YES, c.LISTENED_TO: c.YES,
                      c.ACTED_ON_WISHES: c.PARTLY, c.FEEL_SAFE: c.NO, c.HAPPIER: c.DONT_KNOW}),
        # R3  E3  completed: not -> NOT              [urgent_safety, wants_human_contact]
        rec("r3", R, DONE, "E3", outcomes=[(c.POLICE_PROSECUTE, c.NOT)],
            feedback={c.GOALS_MET: c.NO, c.CHANCE_TO_SAY: c.YES, c.LISTENED_TO: c.NO,
                      c.ACTED_ON_WISHES: c.NO, c.FEEL_SAFE: c.DECLINED},
            flags=[c.FLAG_URGENT_SAFETY, c.FLAG_WANTS_HUMAN_CONTACT]),
        # R4  E5  completed: dont_know, dont_know -> NOT RECORDED (we do not guess)
        rec("r4", R, DONE, "E5",
            outcomes=[(c.FEEL_SAFER, c.DONT_KNOW), (c.MAKE_FRIENDS, c.DONT_KNOW)],
            feedback={c.GOALS_MET: c.DONT_KNOW}),
        # R5  E6  completed with no outcomes at all -> NOT RECORDED; feedback all declined
        rec("r5", R, DONE, "E6", feedback=ALL_DECLINED),
        # R6  E7  paused: fully -> not in achievement; feedback counts (only review of E7)
        rec("r6", R, PAUSED, "E7", outcomes=[(c.FEEL_SAFER, c.FULLY)],
            feedback={c.GOALS_MET: c.YES, c.CHANCE_TO_SAY: c.PARTLY}),
        # R7  E8  OLDER (05-10) completed: not -> superseded by R8   [advocacy_requested]
        rec("r7", R, DONE, "E8", "2026-05-10T10:00:00Z", outcomes=[(c.ACCESS_SUPPORT, c.NOT)],
            feedback={c.GOALS_MET: c.NO}, flags=[c.FLAG_ADVOCACY_REQUESTED]),
        # R8  E8  NEWER (05-12) completed: fully, dont_know -> FULLY (dont_know left out)
        rec("r8", R, DONE, "E8", "2026-05-12T10:00:00Z",
            outcomes=[(c.ACCESS_SUPPORT, c.FULLY), (c.FEEL_SAFER, c.DONT_KNOW)],
            feedback={c.GOALS_MET: c.YES, c.LISTENED_TO: c.YES}),
        # R10 E9  in progress: fully -> counted nowhere but flags/stage  [urgent_safety]
        rec("r10", R, GOING, "E9", outcomes=[(c.FEEL_SAFER, c.FULLY)],
            feedback={c.GOALS_MET: c.YES}, flags=[c.FLAG_URGENT_SAFETY]),
    ]


def fb(yes: int, partly: int, no: int, dont_know: int, declined: int, not_answered: int
       ) -> Dict[str, int]:
    return {c.YES: yes, c.PARTLY: partly, c.NO: no, c.DONT_KNOW: dont_know,
            c.DECLINED: declined, "not_answered": not_answered}


# Worked out by hand from hand_built():
#
# Asked (one outcomes record per enquiry, newest): E1 exp, E2 exp, E3 exp,
#   E4 -> O4b none_expressed (O4a older), anon-1 null, anon-2 exp, E5 exp
#   => expressed 5, none expressed 1, not recorded 1 (7 enquiries)
# Codes (same 7 records): feel_safer E1, E2, anon-2 (once), E5 = 4; abuser_stays_away 1 (E1);
#   be_involved 1 (E2); police_prosecute 1 (E3); access_support 1 (anon-2);
#   make_friends 1 (E5); something_else 0 (only in the older O4a); the rest 0.
# Achieved (newest completed review per enquiry): E1 R1 fully; E2 R2 partially; E3 R3 not;
#   E5 R4 not recorded; E6 R5 not recorded; E8 R8 fully (R7 older). R6 and R9 are paused,
#   R10 in progress: not counted. => fully 2, partially 1, not 1, not recorded 2 (6)
# Feedback (newest completed review per enquiry, else newest paused):
#   E1 R1, E2 R2, E3 R3, E5 R4, E6 R5, E7 R6 (paused), E8 R8 => 7 reviews
#   goals_met:       R1 yes, R2 partly, R3 no, R4 dk, R5 decl, R6 yes, R8 yes
#                    => yes 3, partly 1, no 1, dk 1, declined 1, n/a 0
#   chance_to_say:   yes, yes, yes, -, decl, partly, -    => 3, 1, 0, 0, 1, 2
#   listened_to:     yes, yes, no, -, decl, -, yes         => 3, 0, 1, 0, 1, 2
#   acted_on_wishes: yes, partly, no, -, decl, -, -        => 1, 1, 1, 0, 1, 3
#   feel_safe:       yes, no, decl, -, decl, -, -          => 1, 0, 1, 0, 2, 3
#   happier:         yes, dk, -, -, decl, -, -             => 1, 0, 0, 1, 1, 4
# Flags (all 18 records): urgent O1, R3, R10 = 3; advocacy O6, R7 = 2; human O5, R3 = 2
# Stage/status: outcomes completed O1 O2 O3 O4b O7 = 5, paused O4a = 1, declined O5 = 1,
#   in progress O6 = 1 (8); review completed R1 R2 R3 R4 R5 R7 R8 = 7, paused R6 R9 = 2,
#   in progress R10 = 1, declined 0 (10). Records 18.
EXPECTED: Dict[str, Any] = {
    "records": 18,
    "asked_about_outcomes": {c.ASKED_EXPRESSED: 5, c.ASKED_NONE_EXPRESSED: 1, "not_recorded": 1},
    "outcomes_achieved": {"fully": 2, "partially": 1, "not": 1, "not_recorded": 2},
    "outcome_codes": {
        c.FEEL_SAFER: 4, c.PROTECT_MYSELF: 0, c.FEEL_CONFIDENT: 0, c.ABUSER_STAYS_AWAY: 1,
        c.BE_INVOLVED: 1, c.PEOPLE_KEEP_PROMISES: 0, c.POLICE_PROSECUTE: 1,
        c.ACCESS_SUPPORT: 1, c.MAKE_FRIENDS: 1, c.NO_FURTHER_ACTION: 0, c.SOMETHING_ELSE: 0,
    },
    "feedback": {
        c.GOALS_MET: fb(3, 1, 1, 1, 1, 0),
        c.CHANCE_TO_SAY: fb(3, 1, 0, 0, 1, 2),
        c.LISTENED_TO: fb(3, 0, 1, 0, 1, 2),
        c.ACTED_ON_WISHES: fb(1, 1, 1, 0, 1, 3),
        c.FEEL_SAFE: fb(1, 0, 1, 0, 2, 3),
        c.HAPPIER: fb(1, 0, 0, 1, 1, 4),
    },
    "flags": {c.FLAG_URGENT_SAFETY: 3, c.FLAG_ADVOCACY_REQUESTED: 2,
              c.FLAG_WANTS_HUMAN_CONTACT: 2, c.FLAG_ADVOCACY_NEEDED: 0},
    "records_by_stage_status": {
        OUT: {GOING: 1, DONE: 5, PAUSED: 1, DECLINED: 1},
        R: {GOING: 1, DONE: 7, PAUSED: 2, DECLINED: 0},
    },
}


def test_compute_report_hand_worked_figures() -> None:
    report = compute_report(hand_built())
    assert report.records == EXPECTED["records"]
    assert report.asked_about_outcomes == EXPECTED["asked_about_outcomes"]
    assert report.outcomes_achieved == EXPECTED["outcomes_achieved"]
    assert report.outcome_codes == EXPECTED["outcome_codes"]
    assert list(report.outcome_codes) == list(c.OUTCOME_CODES)  # constants order, zero-filled
    assert report.feedback == EXPECTED["feedback"]
    assert report.flags == EXPECTED["flags"]
    assert report.by_stage_status == EXPECTED["records_by_stage_status"]
    assert sum(report.asked_about_outcomes.values()) == 7  # enquiries asked
    assert sum(report.outcomes_achieved.values()) == 6  # enquiries reviewed
    assert report.reviews_with_feedback == 7


def test_newest_wins_whatever_the_order() -> None:
    """Newest is judged by updated_at, not by where a record sits in the list."""
    forward = report_to_dict(compute_report(hand_built()))
    backward = report_to_dict(compute_report(list(reversed(hand_built()))))
    assert forward == backward


def test_duplicate_outcomes_conversations_count_the_newest_only() -> None:
    # E1 older: expressed feel_safer; E1 newer: none expressed. Counted: the newer only.
    report = compute_report([
        rec("new", OUT, DONE, "E1", "2026-05-09T00:00:00Z", asked=c.ASKED_NONE_EXPRESSED),
        rec("old", OUT, DONE, "E1", "2026-05-08T00:00:00Z", asked=c.ASKED_EXPRESSED,
            outcomes=[(c.FEEL_SAFER, None)]),
    ])
    assert report.asked_about_outcomes == {
        c.ASKED_EXPRESSED: 0, c.ASKED_NONE_EXPRESSED: 1, "not_recorded": 0}
    assert report.outcome_codes[c.FEEL_SAFER] == 0
    assert report.records == 2


def withdrawn(record: Dict[str, Any], code: str, achieved: Optional[str] = None,
              reason: str = c.WITHDRAWN_NOT_A_WISH) -> Dict[str, Any]:
    """The record with one more wish, taken away (as a dictionary marks it): kept, never counted."""
    wish = {"code": code, "own_words": f"words for {code}", "may_not_be_achievable": False,
            "achieved": achieved, "withdrawn_at": "2026-05-02T10:00:00Z", "withdrawn_reason": reason}
    return {**record, "outcomes": [*record["outcomes"], wish]}


def test_wishes_taken_away_are_not_counted() -> None:
    report = compute_report([
        withdrawn(rec("o", OUT, DONE, "E1", asked=c.ASKED_EXPRESSED, outcomes=[(c.FEEL_SAFER, None)]),
                  c.SOMETHING_ELSE),
        # Its only answered wish was set aside: nothing left to roll up.
        withdrawn(rec("r", R, DONE, "E1", outcomes=[(c.FEEL_SAFER, c.DONT_KNOW)]), c.MAKE_FRIENDS, c.FULLY),
        withdrawn(rec("r2", R, DONE, "E2", outcomes=[(c.FEEL_SAFER, c.FULLY)]), c.BE_INVOLVED, c.NOT,
                  reason=c.WITHDRAWN_BY_PERSON),
    ])
    assert {k: v for k, v in report.outcome_codes.items() if v} == {c.FEEL_SAFER: 1}
    assert report.outcomes_achieved == {"fully": 1, "partially": 0, "not": 0, "not_recorded": 1}


def test_the_table_says_what_the_wish_counts_are() -> None:
    table = render_table(compute_report(hand_built()))
    assert "Enquiries that wished for each" in table
    assert "Wishes taken away, or set aside as not a wish, are not counted." in table
    assert "Times each wish was given" not in table  # a record with a code twice counts once


def test_paused_review_is_not_counted_as_achieved() -> None:
    report = compute_report([rec("p", R, PAUSED, "E1", outcomes=[(c.FEEL_SAFER, c.FULLY)],
                                 feedback={c.GOALS_MET: c.YES})])
    assert report.outcomes_achieved == {"fully": 0, "partially": 0, "not": 0, "not_recorded": 0}
    assert report.feedback[c.GOALS_MET][c.YES] == 1  # its feedback still counts


@pytest.mark.parametrize(
    "answers, expected",
    [
        ([c.FULLY, c.FULLY], "fully"),
        ([c.FULLY, c.DONT_KNOW], "fully"),          # dont_know left out
        ([c.FULLY, None], "fully"),                 # not answered left out
        ([c.FULLY, c.PARTLY], "partially"),
        ([c.FULLY, c.NOT], "partially"),
        ([c.PARTLY], "partially"),
        ([c.PARTLY, c.NOT], "partially"),
        ([c.NOT], "not"),
        ([c.NOT, c.DONT_KNOW], "not"),
        ([c.DONT_KNOW], "not_recorded"),
        ([c.DONT_KNOW, None], "not_recorded"),
        ([None], "not_recorded"),
        ([], "not_recorded"),
    ],
)
def test_roll_up_rule(answers: List[Optional[str]], expected: str) -> None:
    assert roll_up_achieved([{"code": c.FEEL_SAFER, "achieved": a} for a in answers]) == expected


def test_rule_is_written_down() -> None:
    import bot.report

    for words in ("Fully achieved", "Partially achieved", "Not achieved", "Not recorded"):
        assert words in ROLL_UP_RULE
        assert words.upper() in (bot.report.__doc__ or "").upper()


def test_no_rasa_in_report_module() -> None:
    import ast

    modules = sorted(Path(__file__).parents[1].joinpath("bot", "report").glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "compute.py", "render.py", "chart.py"}
    for module in modules:
        tree = ast.parse(module.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.split(".")[0] in ("rasa", "rasa_sdk") for name in imported), module.name


def test_renderings_carry_the_same_figures() -> None:
    report = compute_report(hand_built())
    as_dict = report_to_dict(report)
    for key, value in EXPECTED.items():
        assert as_dict[key] == value
    json.dumps(as_dict)

    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == ["section", "item", "value"]
    assert all(len(row) == 3 for row in rows)
    assert ["outcomes_achieved", "fully", "2"] in rows
    assert ["asked_about_outcomes", "asked_expressed", "5"] in rows
    assert ["feedback.happier", "not_answered", "4"] in rows
    assert ["records.review", "paused", "2"] in rows

    table = render_table(report)
    lines = table.splitlines()
    assert any(line.split()[:2] == ["Fully", "achieved"] and line.split()[2] == "2"
               for line in lines)
    for heading in ("Outcomes achieved (SG4a)", "What people said at the end",
                    "Flags raised", "Records by stage and status"):
        assert heading in table
    happier = next(line for line in lines if line.strip().startswith("Feel happier"))
    assert happier.split()[-6:] == ["1", "0", "0", "1", "1", "4"]


def test_empty_report_says_so_kindly() -> None:
    table = render_table(compute_report([]))
    assert "no records for this period" in table
    assert "Fully achieved" not in table


# ------------------------------------------------------------- through the store and CLI


def _store_records() -> None:
    """E-100: outcomes then a completed review (fully + not -> PARTIALLY).
    E-200: asked, nothing wanted. E-300: a paused review (feedback only)."""
    records.start_conversation("s-o1", OUT, "E-100", "person")
    records.save_answer("s-o1", OUT, c.CONSENT_TO_TALK, c.YES)
    records.add_outcomes("s-o1", OUT, [(c.FEEL_SAFER, "for the hitting to stop"),
                                     (c.POLICE_PROSECUTE, "police to charge him")])
    records.save_answer("s-o1", OUT, "confirmed", True)
    records.set_flag("s-o1", OUT, c.FLAG_URGENT_SAFETY)
    records.set_status("s-o1", OUT, DONE)

    records.start_conversation("s-o2", OUT, "E-200", "advocate")
    records.mark_none_expressed("s-o2", OUT)
    records.save_answer("s-o2", OUT, "confirmed", True)
    records.set_status("s-o2", OUT, DONE)

    records.start_conversation("s-r1", R, "E-100", "person")
    assert records.copy_outcomes_for_review("s-r1", "E-100") == 2
    records.set_achieved("s-r1", R, c.FEEL_SAFER, c.FULLY)
    records.set_achieved("s-r1", R, c.POLICE_PROSECUTE, c.NOT)
    records.save_answer("s-r1", R, c.GOALS_MET, c.PARTLY)
    records.save_answer("s-r1", R, c.LISTENED_TO, c.YES)
    records.set_flag("s-r1", R, c.FLAG_WANTS_HUMAN_CONTACT)
    records.set_status("s-r1", R, DONE)

    records.start_conversation("s-r2", R, "E-300", "family_friend")
    records.add_outcomes("s-r2", R, [(c.BE_INVOLVED, "to be told what happens")])
    records.set_achieved("s-r2", R, c.BE_INVOLVED, c.FULLY)
    records.save_answer("s-r2", R, c.GOALS_MET, c.YES)
    records.set_status("s-r2", R, PAUSED)


def test_store_backed_json_report(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _store_records()
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 4 records. Asked: E-100 expressed, E-200 none expressed.
    # Achieved: only E-100 has a completed review: fully + not -> partially.
    # Codes: feel_safer, police_prosecute from s-o1 (review outcomes are not wishes).
    # Feedback: s-r1 (completed) and s-r2 (paused, E-300): goals_met partly 1, yes 1;
    #   listened_to yes 1 (s-r1), not answered 1 (s-r2); other questions not answered 2.
    assert data["records"] == 4
    assert data["period"] == {"from": None, "to": None}
    assert data["asked_about_outcomes"] == {
        c.ASKED_EXPRESSED: 1, c.ASKED_NONE_EXPRESSED: 1, "not_recorded": 0}
    assert data["outcomes_achieved"] == {"fully": 0, "partially": 1, "not": 0, "not_recorded": 0}
    assert {k: v for k, v in data["outcome_codes"].items() if v} == {
        c.FEEL_SAFER: 1, c.POLICE_PROSECUTE: 1}
    assert data["feedback"][c.GOALS_MET] == fb(1, 1, 0, 0, 0, 0)
    assert data["feedback"][c.LISTENED_TO] == fb(1, 0, 0, 0, 0, 1)
    for question in (c.CHANCE_TO_SAY, c.ACTED_ON_WISHES, c.FEEL_SAFE, c.HAPPIER):
        assert data["feedback"][question] == fb(0, 0, 0, 0, 0, 2)
    assert data["flags"] == {c.FLAG_URGENT_SAFETY: 1, c.FLAG_ADVOCACY_REQUESTED: 0,
                             c.FLAG_WANTS_HUMAN_CONTACT: 1, c.FLAG_ADVOCACY_NEEDED: 0}
    assert data["records_by_stage_status"] == {
        OUT: {GOING: 0, DONE: 2, PAUSED: 0, DECLINED: 0},
        R: {GOING: 0, DONE: 1, PAUSED: 1, DECLINED: 0},
    }


def test_report_is_audited(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import select

    from bot.store.db import session_scope
    from bot.store.models import AuditEvent

    _store_records()
    assert main(["report", "--format", "csv", "--from", "2020-01-01"]) == 0
    capsys.readouterr()
    with session_scope() as session:
        events = session.execute(select(AuditEvent)).scalars().all()
        details = [(e.action, e.detail) for e in events]
    assert ("report", "format=csv from=2020-01-01 to=* records=4 chart=-") in details


def test_dates_are_inclusive(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _store_records()
    today = datetime.now(timezone.utc).date()
    yesterday = today - timedelta(days=1)
    # --to today includes today's records (the whole day), even though stored times are later
    # than midnight.
    assert main(["report", "--format", "json", "--from", str(today), "--to", str(today)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["records"] == 4
    assert data["period"] == {"from": str(today), "to": str(today)}
    # Up to yesterday: nothing, and the table says so kindly.
    assert main(["report", "--to", str(yesterday)]) == 0
    out = capsys.readouterr().out
    assert "no records for this period" in out
    assert f"up to {yesterday}" in out


def test_from_after_to_is_refused(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", "2026-06-30", "--to", "2026-04-01"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--from date (2026-06-30) is after the --to date (2026-04-01)" in captured.err


def test_csv_and_table_formats(record_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _store_records()
    assert main(["report", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "item", "value"]
    assert ["outcomes_achieved", "partially", "1"] in rows
    assert ["summary", "records", "4"] in rows

    assert main(["report"]) == 0  # table is the default
    table = capsys.readouterr().out
    assert "Making Safeguarding Personal: report" in table
    partially = next(line for line in table.splitlines()
                     if line.strip().startswith("Partially achieved"))
    assert partially.split()[2:4] == ["1", "100%"]


def test_chart_is_a_png(record_db: str, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    _store_records()
    path = tmp_path / "c.png"
    assert main(["report", "--chart", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"Chart written to {path}" in captured.err
    assert "Outcomes achieved" in captured.out
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000


def test_chart_with_no_records(record_db: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.png"
    assert main(["report", "--chart", str(path)]) == 0
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_report_counts_in_the_database_without_loading_records(
    record_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The figures (SG4a's and the board's) are SQL aggregates: no record is turned into a dictionary to be counted."""

    def refuse(**_: Any) -> List[Dict[str, Any]]:
        raise AssertionError("msp report must not load every record")

    from bot.report.advocacy import advocacy_to_dict, compute_advocacy_between
    from bot.report.board import compute_board
    from bot.report.board_render import board_to_dict

    _store_records()
    stored = records.export_records()
    expected = {**report_to_dict(compute_report(stored)), **board_to_dict(compute_board(stored)),
                **advocacy_to_dict(compute_advocacy_between())}  # SG3a-style: SQL only
    monkeypatch.setattr(records, "export_records", refuse)
    assert main(["report", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected
