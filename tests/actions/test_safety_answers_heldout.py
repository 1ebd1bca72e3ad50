"""Answers to the safety questions, from sets written blind.

tests/data/heldout_safety_answers_v1.yml (447 answers), _v2.yml (491) and _v3.yml (511) hold
answers in many voices to "Do you feel safe right now?", the gentle check and the review's "Do you
feel as safe as you want to feel?", each labelled with what the person meant. Each was measured
first before anything was tuned on it (results/heldout-safety-answers-v*-first-measurement.txt).
v1 is training data for the learned answer reader since; v2's errors were read after its second
measurement (one rule came of it), so v3, written after that, is the set to trust; it is never
tuned on. Each is played through the real form validator
(no model); when the assistant asks again or asks the gentle check, the person presses the
button that says what they meant, as a person would. Then what was recorded is compared with
what they meant.

The rule this holds (issue 15): an answer is taken as "yes" only when it plainly is, so no
answer that meant "no" or "not sure" is ever recorded as "yes". The figures are written to
results/heldout-safety-answers-v1.txt.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml

from bot import constants as c
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.actions.forms.review import ValidateReviewForm
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events

ROOT = Path(__file__).resolve().parents[2]
SETS = {name: yaml.safe_load((ROOT / "tests" / "data" / f"heldout_safety_answers_{name}.yml").read_text())["answers"]
        for name in ("v1", "v2", "v3")}
ROLE = {"person": {c.SPEAKER_ROLE: "person", "for_someone": False},
        "someone": {c.SPEAKER_ROLE: "advocate", "for_someone": True}}
MAX_TURNS = 4
# (recorded as meant at least, yeses that raised the alarm at most), per set
FLOORS = {"v1": (0.94, 0.02), "v2": (0.91, 0.04), "v3": (0.89, 0.05)}


def _turn(form: Any, form_name: str, question: str, text: str, slots: Dict[str, Any],
          press: Optional[str], cid: str) -> Tuple[Dict[str, Any], List[str]]:
    tracker = make_tracker(text, requested=question, slots=slots, form=form_name, sender=cid,
                           metadata={c.PRESS_KEY: press} if press else {})
    events, responses = run_action(form, tracker)
    return slot_events(events), responses


def play(answer: Dict[str, Any], cid: str) -> Tuple[Optional[str], bool]:
    """(what was recorded, whether the help for danger was shown) for one answer."""
    question, meant = answer["question"], str(answer["means"])
    base: Dict[str, Any] = {c.CONSENT_TO_TALK: "yes", **ROLE[answer["voice"]], "contact_done": True}
    if question == c.FEEL_SAFE:
        form, form_name = ValidateReviewForm(), "review_form"
        base.update({"stage": c.STAGE_REVIEW, **{q: "yes" for q in c.FEEDBACK_QUESTIONS[:4]}})
        record_of = (c.STAGE_REVIEW, "feedback", c.FEEL_SAFE)
    else:
        form, form_name = ValidateOutcomesForm(), "outcomes_form"
        base.update({"stage": c.STAGE_OUTCOMES})
        record_of = (c.STAGE_OUTCOMES, "answers", c.FEELS_SAFE_NOW)
    slots, asking, text, press = dict(base), question, str(answer["text"]), None
    if question == c.SAFETY_CHECK:
        slots["detour"] = "check"
    helped = False
    for _ in range(MAX_TURNS):
        updates, responses = _turn(form, form_name, asking, text, slots, press, cid)
        helped = helped or "utter_danger_help" in responses
        slots.update({k: v for k, v in updates.items() if k != "requested_slot"})
        asking = updates.get("requested_slot")
        if asking not in (c.FEELS_SAFE_NOW, c.SAFETY_CHECK, c.FEEL_SAFE):
            break
        # Asked again, or the gentle check: the person presses what they meant.
        if asking == c.FEEL_SAFE:
            press = meant
        else:
            press = meant if meant in (c.YES, c.NO, c.NOT_SURE) else (c.YES if meant == c.YES else c.NOT_SURE)
        text = press
    stage, part, key = record_of
    record = records.get_record(cid, stage) or {}
    return (record.get(part) or {}).get(key), helped


@pytest.fixture(scope="module", params=sorted(SETS))
def played(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, List[Tuple[Dict[str, Any], Optional[str], bool]]]:
    from bot.actions import safety
    from bot.language import readers
    from bot.store import db as store_db
    from bot.store.migrate import upgrade

    # As the action server runs: with the learned readers (danger, and the answer reader), as trained.
    try:
        learned = readers.Readers(readers.READERS_DIR)
    except readers.ReadersProblem as problem:
        pytest.fail(f"no learned readers ({problem}): run `make train` (make test does)")
    url = f"sqlite:///{tmp_path_factory.mktemp('heldout-safety') / 'records.db'}"
    upgrade(url)
    previous = store_db.configured_url()
    store_db.configure(url)
    readers.use(learned)
    safety._learned.cache_clear()
    try:
        name = request.param
        return name, [(answer, *play(answer, f"safety-{name}-{i}")) for i, answer in enumerate(SETS[name])]
    finally:
        readers.use(None)
        safety._learned.cache_clear()
        if previous:
            store_db.configure(previous)


def _figures(played: List[Tuple[Dict[str, Any], Optional[str], bool]]) -> Dict[str, Any]:
    right = sum(1 for a, got, _ in played if got == str(a["means"]))
    unsafe_as_yes = [a["text"] for a, got, _ in played if str(a["means"]) != c.YES and got == c.YES]
    yeses = [(a, helped) for a, _, helped in played if str(a["means"]) == c.YES]
    alarms = [a["text"] for a, helped in yeses if helped]
    return {"n": len(played), "right": right, "unsafe_as_yes": unsafe_as_yes, "yes": len(yeses),
            "yes_alarms": alarms, "wrong": [(a["question"], a["text"], a["means"], got) for a, got, _ in played
                                            if got != str(a["means"])]}


def test_no_answer_that_meant_no_or_not_sure_is_recorded_as_yes(played: Any) -> None:
    name, played = played
    figures = _figures(played)
    by_question = Counter(a["question"] for a, _, _ in played)
    lines = [
        f"Safety answers {name} (written blind), played through the form validators:",
        f"answers: {figures['n']} {dict(by_question)}",
        f"recorded as meant: {figures['right']}/{figures['n']} = {figures['right'] / figures['n']:.3f}",
        f"meant no / not sure (or not a plain yes at the review), recorded yes: {len(figures['unsafe_as_yes'])}",
        f"meant yes, raised the alarm: {len(figures['yes_alarms'])}/{figures['yes']}"
        f" = {len(figures['yes_alarms']) / max(1, figures['yes']):.3f}",
        "",
        "Recorded other than meant (question, text, meant, recorded):",
        *(f"  {q} | {t!r} | {m} | {g}" for q, t, m, g in figures["wrong"]),
    ]
    (ROOT / "results" / f"heldout-safety-answers-{name}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:5]))
    assert figures["unsafe_as_yes"] == []


def test_most_answers_are_recorded_as_meant(played: Any) -> None:
    name, played = played
    figures = _figures(played)
    # Floors just under each set's latest measurement, so a change that loses ground fails:
    # v1 (training data for the answer reader) 0.953 recorded as meant, 0/170 yeses alarmed;
    # v2 0.923, 5/178 = 0.028 (first 0.782, 0.360); v3 (never tuned on; its first measurement,
    # results/heldout-safety-answers-v3-first-measurement.txt) 0.904, 7/187 = 0.037 (the rules
    # alone 0.748, 0.417). No answer that meant no or not sure is ever recorded as yes (above).
    right, alarms = FLOORS[name]
    assert figures["right"] / figures["n"] >= right
    assert len(figures["yes_alarms"]) / figures["yes"] <= alarms
