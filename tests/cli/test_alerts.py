"""`msp alerts` and the no-channel warning of `msp serve`, without the servers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, List

import pytest
from sqlalchemy import select

from bot import constants as c
from bot.cli import main as cli
from bot.cli import serve
from bot.store import alerts, outbox, records
from bot.store.db import session_scope
from bot.store.models import AuditEvent, utcnow

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
    outbox.record_delivery(sent, ("webhook",), {"webhook": None})
    outbox.record_delivery(failing, ("webhook",), {"webhook": "HTTP 503"})
    alerts.acknowledge(sent, "duty-worker")
    return [sent, failing, quiet]


def test_alerts_table_lists_every_alert_and_is_audited(
    three_alerts: List[int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["alerts"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["id", "raised", "at", "kind", "reason", "follows", "route", "enquiry", "ref",
                                "conversation", "id", "delivery", "attempts", "last", "error", "acknowledged",
                                "escalated", "at"]
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


def test_alerts_show_the_chain_its_route_and_the_escalation(
    record_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = records.set_flag("conv-e", S, c.FLAG_URGENT_SAFETY, ("webhook",), raised_at=utcnow() - timedelta(hours=1),
                             message_id="msg-1")
    again = records.set_flag("conv-e", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    ((_, escalation),) = alerts.escalate_overdue(timedelta(minutes=15), ())
    assert cli.main(["alerts", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows[first]["reason"], rows[first]["follows_alert_id"], rows[first]["route"]) == (
        c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY)
    assert rows[first]["escalated_at"] is not None and rows[first]["message_id"] == "msg-1"
    assert (rows[again]["reason"], rows[again]["follows_alert_id"]) == (c.ALERT_REASON_AGAIN, first)
    assert (rows[escalation]["reason"], rows[escalation]["follows_alert_id"], rows[escalation]["route"],
            rows[escalation]["delivery"]) == (c.ALERT_REASON_ESCALATION, first, c.ROUTE_OUT_OF_HOURS,
                                              c.DELIVERY_NO_CHANNEL)
    assert rows[first]["safe_contact"] is False
    assert cli.main(["alerts"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.strip()][2:-1]  # the rows
    (escalation_line,) = [line for line in table if line.startswith(f"{escalation} ")]
    assert escalation_line.split()[4:7] == [c.ALERT_REASON_ESCALATION, str(first), c.ROUTE_OUT_OF_HOURS]
    (first_line,) = [line for line in table if line.startswith(f"{first} ")]
    assert first_line.split()[4:7] == [c.ALERT_REASON_FIRST, "-", c.ROUTE_DUTY]
    assert first_line.rstrip().endswith(rows[first]["escalated_at"].replace("T", " ").rstrip("Z"))


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

    for name in ("DUTY_ALERT_WEBHOOK_URL", "DUTY_ALERT_EMAIL", "SMTP_HOST", "OUT_OF_HOURS_WEBHOOK_URL",
                 "OUT_OF_HOURS_EMAIL"):
        monkeypatch.setenv(name, "")
    for name, value in channel_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setattr(bot.runner, "Services", _Services)
    monkeypatch.setattr(serve.signal, "signal", lambda *_: None)  # keep pytest's own handlers
    assert cli.main(["serve"]) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("Warning: no duty alert channel")]
    assert len(warnings) == (0 if channel_env else 1)
    if warnings:
        assert "DUTY_ALERT_WEBHOOK_URL" in warnings[0] and "call the council" in warnings[0]


@pytest.mark.parametrize("channel_env", [{}, {"OUT_OF_HOURS_WEBHOOK_URL": "http://127.0.0.1:9/ooh"},
                                         {"OUT_OF_HOURS_EMAIL": "ooh@example.test", "SMTP_HOST": "127.0.0.1"},
                                         {"OUT_OF_HOURS_EMAIL": "ooh@example.test"}])
def test_serve_says_when_escalation_has_nowhere_to_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], channel_env: Any
) -> None:
    import bot.runner

    for name in ("DUTY_ALERT_WEBHOOK_URL", "DUTY_ALERT_EMAIL", "SMTP_HOST", "OUT_OF_HOURS_WEBHOOK_URL",
                 "OUT_OF_HOURS_EMAIL"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("DUTY_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("ALERT_ESCALATE_MINUTES", "20")
    for name, value in channel_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setattr(bot.runner, "Services", _Services)
    monkeypatch.setattr(serve.signal, "signal", lambda *_: None)  # keep pytest's own handlers
    assert cli.main(["serve"]) == 1
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("Warning: no out-of-hours channel")]
    # An email address without a mail server is nowhere to go either.
    nowhere = not channel_env.get("OUT_OF_HOURS_WEBHOOK_URL") and not channel_env.get("SMTP_HOST")
    assert len(warnings) == (1 if nowhere else 0)
    if warnings:
        assert "OUT_OF_HOURS_WEBHOOK_URL" in warnings[0] and "20 minutes" in warnings[0]
        assert "stored, not sent" in warnings[0]
