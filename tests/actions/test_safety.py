"""The safety actions without a model: help first, then only what is true about the alert."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import constants as c
from bot.actions import common
from bot.actions.conversation import ActionStart
from bot.actions.forms.outcomes import ValidateOutcomesForm
from bot.actions.help import ActionHumanContact, ActionRespondToDanger
from bot.alerts import spool
from bot.store import alerts, records
from tests.actions.conftest import make_tracker, run_action, slot_events

CID = "conv-test"
S = c.STAGE_OUTCOMES
PERSON = {c.CONSENT_TO_TALK: "yes", c.SPEAKER_ROLE: "person", "for_someone": False}


def _use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webhook: str) -> None:
    """The settings the actions read: a webhook channel or none, and a spool folder of the test's."""
    settings = common.load_settings().copy(update={"duty_alert_webhook_url": webhook, "duty_alert_email": "",
                                                   "spool_dir": str(tmp_path / "spool")})
    monkeypatch.setattr(common, "settings", lambda: settings)
    monkeypatch.setattr("bot.actions.safety.settings", lambda: settings)


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _use(monkeypatch, tmp_path, "http://127.0.0.1:9/hook")


def _no_channel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _use(monkeypatch, tmp_path, "")


def test_with_a_channel_the_team_is_told_after_the_help(db: str, channels: None) -> None:
    _, responses = run_action(ActionRespondToDanger(), make_tracker("he's at the door", form=None))
    assert responses == ["utter_danger_help", "utter_danger_alert_sent"]
    (alert,) = alerts.list_alerts()
    assert alert.kind == c.FLAG_URGENT_SAFETY and alert.delivery == c.DELIVERY_RETRYING


def test_with_no_channel_nothing_is_claimed(db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_channel(monkeypatch, tmp_path)
    _, responses = run_action(ActionRespondToDanger(), make_tracker("he's at the door", form=None))
    assert responses == ["utter_danger_help", "utter_danger_alert_not_sent"]
    (alert,) = alerts.list_alerts()
    assert alert.delivery == c.DELIVERY_NO_CHANNEL
    assert records.get_record(CID, S)["flags"]["urgent_safety"] is True  # type: ignore[index]


def test_the_help_is_shown_when_saving_fails_and_the_flag_waits_in_the_spool(
    db: str, channels: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is away")

    monkeypatch.setattr(records, "set_flag", broken)
    tracker = make_tracker("he's at the door", requested=c.WANTS_ADVOCATE, slots={**PERSON, c.FEELS_SAFE_NOW: "yes"})
    events, responses = run_action(ValidateOutcomesForm(), tracker)
    assert responses[0] == "utter_danger_help"
    assert "utter_danger_alert_not_sent" in responses and "utter_danger_alert_sent" not in responses
    assert slot_events(events)["detour"] == "danger"
    (waiting,) = spool.pending(str(tmp_path / "spool"))
    assert "he's at the door" not in waiting.read_text(), "the spool holds ids, never words"


def test_asking_for_a_person_raises_an_alert_of_its_own_kind(db: str, channels: None) -> None:
    _, responses = run_action(ActionHumanContact(), make_tracker("can I talk to a person", form=None))
    assert responses == ["utter_human_contact", "utter_human_alert_sent"]
    assert [a.kind for a in alerts.list_alerts()] == [c.FLAG_WANTS_HUMAN_CONTACT]


def test_possible_danger_outside_a_question_asks_the_check_next(db: str, channels: None) -> None:
    events, responses = run_action(
        ActionStart(), make_tracker("he hit me last night", form=None, intent="greet")
    )
    assert "utter_danger_help" not in responses
    assert slot_events(events)["detour"] == "check"


def test_clear_danger_opening_a_chat_gets_help_before_anything_is_saved(
    db: str, channels: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is away")

    monkeypatch.setattr(records, "start_conversation", broken)
    _, responses = run_action(ActionStart(), make_tracker("help he's got a knife", form=None, intent="danger"))
    assert responses[0] == "utter_danger_help"
    assert "utter_cannot_open_now" in responses


@pytest.mark.parametrize("answer, flagged", [("No", True), ("not sure", True), ("yes", False)])
def test_the_check_answer_decides(db: str, channels: None, answer: str, flagged: bool) -> None:
    slots = {**PERSON, c.FEELS_SAFE_NOW: "yes", "detour": "check"}
    events, responses = run_action(
        ValidateOutcomesForm(), make_tracker(answer, requested=c.SAFETY_CHECK, slots=slots)
    )
    updates = slot_events(events)
    assert ("utter_danger_help" in responses) is flagged
    assert updates["detour"] == ("danger" if flagged else None)
    assert updates["requested_slot"] == (c.CONTACT_SAFE_TO_CALL if flagged else c.WANTS_ADVOCATE)
    record = records.get_record(CID, S)
    assert bool(record and record["flags"]["urgent_safety"]) is flagged


def test_the_check_answer_fills_are_you_safe_when_it_is_still_open(db: str, channels: None) -> None:
    slots = {**PERSON, "detour": "check"}
    events, _ = run_action(ValidateOutcomesForm(), make_tracker("yes", requested=c.SAFETY_CHECK, slots=slots))
    updates = slot_events(events)
    assert updates[c.FEELS_SAFE_NOW] == c.YES
    assert updates["requested_slot"] == c.WANTS_ADVOCATE
