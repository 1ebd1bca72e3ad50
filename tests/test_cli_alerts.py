"""`msp alerts` and the no-channel warning of `msp serve`, without the servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List

import pytest
from sqlalchemy import select

from bot import cli
from bot import constants as c
from bot.store import alerts, records
from bot.store.db import session_scope
from bot.store.models import AuditEvent

S = c.STAGE_OUTCOMES


def _audits() -> List[str]:
    with session_scope() as session:
        return [f"{a.action} {a.detail}" for a in session.execute(select(AuditEvent)).scalars()]


@pytest.fixture
def three_alerts(record_db: str) -> List[int]:
    records.start_conversation("conv-a", S, "NR-2026-0001", "person")
    records.add_outcomes("conv-a", S, [(c.FEEL_SAFER, "the words marmalade xylophone")])
    sent = records.set_flag("conv-a", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    failing = records.set_flag("conv-b", S, c.FLAG_WANTS_HUMAN_CONTACT, ("webhook",))
    quiet = records.set_flag("conv-c", S, c.FLAG_URGENT_SAFETY, ())
    assert sent is not None and failing is not None and quiet is not None
    alerts.record_delivery(sent, ("webhook",), {"webhook": None})
    alerts.record_delivery(failing, ("webhook",), {"webhook": "HTTP 503"})
    alerts.acknowledge(sent, "duty-worker")
    return [sent, failing, quiet]


def test_alerts_table_lists_every_alert_and_is_audited(
    three_alerts: List[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["alerts"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["id", "raised", "at", "kind", "enquiry", "ref", "conversation", "id",
                                "delivery", "attempts", "last", "error", "acknowledged"]
    assert "NR-2026-0001" in out and "conv-b" in out and "webhook: HTTP 503" in out
    assert "yes, by duty-worker" in out and "no_channel" in out
    assert "3 alert(s), 2 not acknowledged" in out
    assert "marmalade" not in out
    assert _audits() == ["alerts format=table delivery=* open=no alerts=3"]


def test_alerts_filters_and_json(three_alerts: List[int], capsys: pytest.CaptureFixture[str]) -> None:
    sent, failing, quiet = three_alerts
    assert cli.main(["alerts", "--open", "--format", "json"]) == 0
    rows: List[Any] = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [failing, quiet]
    assert {"id", "raised_at", "kind", "enquiry_ref", "conversation_id", "delivery", "attempts",
            "last_error", "acknowledged"} <= set(rows[0])
    assert rows[0]["delivery"] == c.DELIVERY_RETRYING and rows[0]["last_error"] == "webhook: HTTP 503"
    assert cli.main(["alerts", "--delivery", c.DELIVERY_SENT, "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["id"], row["acknowledged"], row["acknowledged_by"]) == (sent, True, "duty-worker")
    assert cli.main(["alerts", "--delivery", c.DELIVERY_FAILED]) == 0
    assert capsys.readouterr().out == "No alerts match.\n"
    assert len(_audits()) == 3


def test_alerts_refuses_an_unknown_state(record_db: str) -> None:
    with pytest.raises(SystemExit):
        cli.main(["alerts", "--delivery", "lost"])


class _Services:
    """Stands in for the servers: `msp serve` stops at wait_ready."""

    def __init__(self, _settings: Any) -> None:
        self.processes: List[Any] = []

    def start(self) -> None:
        pass

    def wait_ready(self) -> None:
        raise RuntimeError("not started in this test")


@pytest.mark.parametrize("channel_env", [{}, {"DUTY_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook"}])
def test_serve_warns_once_when_no_alert_channel_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], channel_env: Any
) -> None:
    import bot.runner

    for name in ("DUTY_ALERT_WEBHOOK_URL", "DUTY_ALERT_EMAIL", "SMTP_HOST"):
        monkeypatch.setenv(name, "")
    for name, value in channel_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setattr(bot.runner, "Services", _Services)
    monkeypatch.setattr(cli.signal, "signal", lambda *_: None)  # keep pytest's own handlers
    assert cli.main(["serve"]) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("Warning: no duty alert channel")]
    assert len(warnings) == (0 if channel_env else 1)
    if warnings:
        assert "DUTY_ALERT_WEBHOOK_URL" in warnings[0] and "call the council" in warnings[0]
