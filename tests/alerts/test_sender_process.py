"""The sender as `msp serve` runs it: a child process that gets the parent's settings and
stops on SIGTERM. No Rasa: only the sender is spawned."""

from __future__ import annotations

import sys
from pathlib import Path

from bot import constants as c
from bot.runner import Services, _child_env
from bot.settings import load_settings
from bot.store import alerts, records
from tests.alerts.receivers import http_receiver


def test_child_processes_get_the_settings_they_were_given(tmp_path: Path) -> None:
    settings = load_settings().copy(update={"duty_alert_webhook_url": "http://127.0.0.1:9/hook",
                                            "duty_alert_email": "", "smtp_host": "", "spool_dir": str(tmp_path / "spool"),
                                            "alert_max_delay_s": 0.5})
    env = _child_env(settings)
    assert env["DUTY_ALERT_WEBHOOK_URL"] == "http://127.0.0.1:9/hook"
    assert env["SPOOL_DIR"] == str(tmp_path / "spool") and env["ALERT_MAX_DELAY_S"] == "0.5"
    assert env["DUTY_ALERT_EMAIL"] == ""  # set empty, so a .env cannot fill it in the child


def test_sender_process_delivers_and_stops_on_sigterm(record_db: str, tmp_path: Path) -> None:
    with http_receiver() as hook:
        settings = load_settings().copy(update={"database_url": record_db, "duty_alert_webhook_url": hook.url,
                                                "duty_alert_email": "", "smtp_host": "", "spool_dir": str(tmp_path / "spool")})
        alert_id = records.set_flag("conv-p", c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        services = Services(settings, log_dir=tmp_path / "logs")
        process = services._spawn("sender", [sys.executable, "-m", "bot.alerts.sender"])
        try:
            (delivery,) = hook.wait_for(1, timeout=30)
        finally:
            services.stop(grace=10)
    assert delivery.json["alert_id"] == alert_id
    assert process.returncode == 0  # stopped by SIGTERM, cleanly
    (alert,) = alerts.list_alerts()
    assert alert.delivery == c.DELIVERY_SENT
    log = (tmp_path / "logs" / "sender.log").read_text()
    assert f"alert {alert_id} (urgent_safety) sent" in log
