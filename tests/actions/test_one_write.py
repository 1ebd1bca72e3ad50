"""One write per turn: whatever a message does to the record is committed once, or not at all.

The form's validator and the actions open one transaction per turn (`in_thread`); a write that fails
rolls the whole turn back, and the person is told kindly and asked again, never told it was kept.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot import constants as c
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.store import records
from tests.actions.conftest import make_tracker, run_action, slot_events
from tests.store.test_turn import _fail_a_write_caught, commits

FORM = ValidateOutcomesForm()
CID = "conv-test"
S = c.STAGE_OUTCOMES
BEFORE_WISHES = {c.CONSENT_TO_TALK: "yes", c.SPEAKER_ROLE: "person", "for_someone": False,
                 c.FEELS_SAFE_NOW: "yes", c.WANTS_ADVOCATE: "no"}


def answer(text: str, requested: str, **kw: Any):  # type: ignore[no-untyped-def]
    events, responses = run_action(FORM, make_tracker(text, requested=requested, **kw))
    return slot_events(events), responses


def test_two_wishes_and_their_answer_are_one_commit(db: str) -> None:
    with commits(db) as seen:
        slots, _ = answer("I want to feel safe at home and I want to be kept informed",
                          c.DESIRED_OUTCOMES, slots=BEFORE_WISHES)
    assert slots["has_wishes"] is True
    assert {o.code for o in records.list_outcomes(CID, S)} == {c.FEEL_SAFER, c.BE_INVOLVED}
    assert len(seen) == 1


def test_consent_declined_writes_answer_and_status_in_one_commit(db: str) -> None:
    with commits(db) as seen:
        slots, _ = answer("no", c.CONSENT_TO_TALK)
    assert slots["stage_status"] == c.STATUS_DECLINED
    record = records.get_record(CID, S)
    assert record is not None and record["status"] == c.STATUS_DECLINED
    assert record["answers"][c.CONSENT_TO_TALK] == c.NO
    assert len(seen) == 1


def test_a_failed_write_keeps_nothing_and_asks_again(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wishes are written, then a later write of the same turn fails (and is caught, as a failed mark
    is): nothing of the turn is kept, the person hears it was our fault, and the question is asked again."""
    add = records.add_outcomes

    def add_then_fail(*args: Any, **kw: Any) -> Any:
        added = add(*args, **kw)
        _fail_a_write_caught()
        return added

    monkeypatch.setattr(records, "add_outcomes", add_then_fail)
    slots, responses = answer("I want to feel safe at home", c.DESIRED_OUTCOMES, slots=BEFORE_WISHES)
    assert "utter_our_fault" in responses
    assert slots[c.DESIRED_OUTCOMES] is None
    assert slots["requested_slot"] == c.DESIRED_OUTCOMES
    assert records.list_outcomes(CID, S) == []
