"""Every answer is kept as the person gave it, even when it also sounds like a repair.

Runs the real form validators, without a model, over tests/data/tuning/mixed_messages.yml:
messages that carry a wish or an answer beside words like "stop", "skip", "go back",
"rather not" or "don't know". A repair is taken only when the message is nothing
but a repair; a comment is kept unless it only says no.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from bot import constants as c
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.actions.forms.review import ValidateReviewForm
from bot.language.matching import load_patterns
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events

# Read as the pattern files are: "no" and "yes" stay words, not booleans.
CASES = load_patterns(Path(__file__).resolve().parents[1] / "data" / "tuning" / "mixed_messages.yml")["cases"]
CID = "conv-test"
PERSON = {c.CONSENT_TO_TALK: "yes", c.SPEAKER_ROLE: "person", "for_someone": False}
REVIEW_QUESTIONS = {*c.FEEDBACK_QUESTIONS, c.FEEDBACK_COMMENTS}
REPAIR_SIGN = {
    c.REPAIR_EXPLAIN: "utter_explain_{slot}",
    c.REPAIR_WHY: "utter_why_{slot}",
    c.REPAIR_HUMAN: "utter_human_contact",
    c.REPAIR_DECLINE: "utter_skip_ok",
}


def _run(question: str, text: str) -> Tuple[Dict[str, Any], List[str], str]:
    """Answer `question` with `text`; returns slot updates, responses and the stage."""
    if question in REVIEW_QUESTIONS:
        stage, form, form_name = c.STAGE_REVIEW, ValidateReviewForm(), "review_form"
        slots: Dict[str, Any] = {**PERSON, "stage": stage}
    else:
        stage, form, form_name = c.STAGE_OUTCOMES, ValidateOutcomesForm(), "outcomes_form"
        slots = {**PERSON, "stage": stage}
        if question in (c.DESIRED_OUTCOMES, c.OUTCOMES_CONFIRMED, c.WANTS_ADVOCATE):
            slots.update({c.FEELS_SAFE_NOW: "yes"})
        if question in (c.DESIRED_OUTCOMES, c.OUTCOMES_CONFIRMED):
            slots.update({c.WANTS_ADVOCATE: "no"})
        if question == c.OUTCOMES_CONFIRMED:
            records.add_outcomes(CID, stage, [(c.FEEL_SAFER, "for it to stop")])
            slots.update({c.DESIRED_OUTCOMES: "done", "has_wishes": True})
    if question == c.CARRY_ON:
        slots["detour"] = "danger"
    tracker = make_tracker(text, requested=question, slots=slots, form=form_name)
    events, responses = run_action(form, tracker)
    return slot_events(events), responses, stage


def _problem(case: Dict[str, Any], slots: Dict[str, Any], responses: List[str], stage: str) -> str:
    question, text, expect = case["question"], case["text"], case["expect"]
    status = slots.get("stage_status")
    if "wishes" in expect:
        got = {o.code for o in records.list_outcomes(CID, stage)}
        if not got:
            return f"no wish kept (responses {responses}, status {status})"
        if status == c.STATUS_PAUSED:
            return "paused instead of keeping the wish"
        return ""
    if "comment" in expect:
        saved = (records.get_record(CID, stage) or {}).get("feedback", {}).get("comments")
        if expect["comment"] and saved != text:
            return f"comment not kept (slot {slots.get(question)!r})"
        if not expect["comment"] and slots.get(question) != "none":
            return f"a bare no kept as a comment: {slots.get(question)!r}"
        return ""
    if "repair" in expect and not (question == c.FEELS_SAFE_NOW and expect["repair"] == c.REPAIR_DECLINE):
        repair = expect["repair"]
        if repair == c.REPAIR_STOP:
            return "" if status == c.STATUS_PAUSED else f"not paused (responses {responses})"
        sign = REPAIR_SIGN[repair].format(slot=question)
        if question in c.FEEDBACK_QUESTIONS and repair == c.REPAIR_DECLINE:
            return "" if slots.get(question) == c.DECLINED else f"not declined: {slots.get(question)!r}"
        return "" if sign in responses else f"{sign} not in {responses}"
    want = expect["answer"] if "answer" in expect else None
    if question == c.FEELS_SAFE_NOW and want in (c.YES, c.NOT_SURE, None) and slots.get("detour") == "check":
        # Safe only when plainly so (issue 15): anything else, a yes with more to it, a hedge or a
        # refusal, gets the gentle check, whose answer is then recorded. Nothing is lost or guessed.
        return "" if slots.get(question) is None else f"recorded {slots.get(question)!r} before the check"
    if question == c.CONSENT_TO_TALK:
        got = {c.STATUS_PAUSED: c.LATER, c.STATUS_DECLINED: c.NO}.get(status, slots.get(question))
    elif question == c.CARRY_ON:
        got = c.NO if status == c.STATUS_PAUSED else (c.YES if "utter_carry_on_ok" in responses else None)
    elif question == c.OUTCOMES_CONFIRMED:
        got = c.NO if "utter_lets_correct" in responses else slots.get(question)
    else:
        got = slots.get(question)
    return "" if got == want else f"answer {got!r} != {want!r} (responses {responses})"


@pytest.mark.parametrize("case", CASES, ids=[f"{c_['question']}: {c_['text'][:50]}" for c_ in CASES])
def test_the_person_keeps_their_words(db: str, case: Dict[str, Any]) -> None:
    slots, responses, stage = _run(case["question"], case["text"])
    problem = _problem(case, slots, responses, stage)
    assert not problem, f"{case['text']!r} at {case['question']}: {problem}"


def test_there_are_enough_mixed_messages() -> None:
    kinds = {next(iter(case["expect"])) for case in CASES}
    assert len(CASES) >= 120 and kinds == {"wishes", "answer", "repair", "comment"}
