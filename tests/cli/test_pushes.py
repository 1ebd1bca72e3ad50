"""`msp pushes` and `msp pushes stop ID`, without the servers: listed apart from alerts, audited, no words."""

from __future__ import annotations

import json
from typing import List

import pytest
from sqlalchemy import select

from bot import constants as c
from bot.cli import main as cli
from bot.store import corrections, push_outbox, pushes, records
from bot.store.db import session_scope
from bot.store.models import AuditEvent

S = c.STAGE_OUTCOMES


def _audits() -> List[str]:
    with session_scope() as session:
        return [f"{a.action} {a.detail}" for a in session.execute(select(AuditEvent)).scalars()]


@pytest.fixture
def three_pushes(record_db: str) -> List[int]:
    """conv-a: version 1 superseded by 2 (failing); conv-b: version 1 sent."""
    for cid, ref in (("conv-a", "NR-2026-0001"), ("conv-b", "NR-2026-0002")):
        records.start_conversation(cid, S, ref, "person")
        records.add_outcomes(cid, S, [(c.FEEL_SAFER, "the words marmalade xylophone")])
        records.set_status(cid, S, c.STATUS_COMPLETED)
    corrections.recode("conv-a", S, 0, c.PROTECT_MYSELF, "worker@example.org")
    for push in push_outbox.claim_due("w"):
        push_outbox.record_try(push.id, "HTTP 503" if push.conversation_id == "conv-a" else None, push.claim)
    return [p.id for p in pushes.list_pushes()]


def test_pushes_table_lists_them_with_what_is_failing_and_is_audited(
        three_pushes: List[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pushes"]) == 0
    out = capsys.readouterr().out
    assert "RECORD_PUSH_URL is not set" in out
    assert "NR-2026-0001" in out and "NR-2026-0002" in out and "HTTP 503" in out
    assert "superseded" in out and "sent" in out and "queued" in out
    assert "3 push(es), 1 still to go, 1 of them failing" in out
    assert "marmalade" not in out
    assert _audits()[-1] == "pushes format=table state=* failing=no enquiry=* pushes=3"


def test_pushes_filters_and_json(three_pushes: List[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["pushes", "--failing", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["conversation_id"], row["version"], row["state"], row["failing"]) == ("conv-a", 2, "queued", True)
    assert row["last_error"] == "HTTP 503" and row["next_try"]
    assert cli.main(["pushes", "--state", "sent", "--format", "json"]) == 0
    assert [r["conversation_id"] for r in json.loads(capsys.readouterr().out)] == ["conv-b"]
    assert cli.main(["pushes", "--enquiry", "NR-2026-0001", "--format", "json"]) == 0
    assert [r["version"] for r in json.loads(capsys.readouterr().out)] == [2, 1]


def test_pushes_stay_out_of_msp_alerts(three_pushes: List[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["alerts", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_pushes_stop_stops_one_that_waits_and_is_audited(
        three_pushes: List[int], capsys: pytest.CaptureFixture[str]) -> None:
    (waiting,) = pushes.list_pushes(failing=True)
    assert cli.main(["pushes", "stop", str(waiting.id)]) == 0
    assert "Stopped push" in capsys.readouterr().out
    (row,) = [p for p in pushes.list_pushes() if p.id == waiting.id]
    assert row.state == c.PUSH_STOPPED and row.stopped_by
    assert any(line.startswith(f"push_stop push={waiting.id} ") for line in _audits())
    # Again, or a push that was sent, or none: a kind refusal, nothing changed.
    for push_id in (waiting.id, 999):
        assert cli.main(["pushes", "stop", str(push_id)]) == 2
        assert "Nothing was changed" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["pushes", "stop", "not-a-number"])
