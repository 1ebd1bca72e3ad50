"""The duty alert sender: one process beside the servers (`msp serve` starts it).

Each round it stores any flags that were spooled while the database was away,
then claims the alerts that are due and tries each configured channel that
has not had it yet. A failed try is retried with back-off (1 s, 2 s, 4 s ...,
at most ALERT_MAX_DELAY_S apart) until ALERT_GIVE_UP_HOURS have passed; then
the alert is `failed`, and stays visible to practitioners.

Usage: python -m bot.alerts.sender   (or `msp send-alerts`)
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Dict, Optional

from bot import constants as c
from bot.alerts import spool
from bot.alerts.channels import CHANNELS
from bot.settings import Settings, load_settings
from bot.store import alerts, records

logger = logging.getLogger("bot.alerts.sender")

POLL_S = 1.0


def run_once(settings: Settings, worker: str) -> int:
    """One round: store spooled flags, then deliver what is due. Returns alerts tried."""
    channels = settings.alert_channels
    spool.drain(settings.spool_dir, partial(_store_flag, channels=channels))
    give_up = timedelta(hours=settings.alert_give_up_hours)
    alerts.give_up_overdue(give_up)
    claimed = alerts.claim_due(worker, give_up=give_up, retry_no_channel=bool(channels))
    for alert in claimed:
        results: Dict[str, Optional[str]] = {}
        for name in channels:
            if name not in alert.channels_done:
                results[name] = CHANNELS[name](alert, settings)
        state = alerts.record_delivery(alert.id, channels, results, settings.alert_max_delay_s, give_up)
        failed = {k: v for k, v in results.items() if v}
        if failed:
            logger.warning("alert %s (%s) not delivered by %s: now %s", alert.id, alert.kind,
                           ", ".join(f"{k} ({v})" for k, v in failed.items()), state)
        else:
            logger.info("alert %s (%s) %s", alert.id, alert.kind, state)
    return len(claimed)


def _store_flag(conversation_id: str, stage: str, flag: str, raised_at, channels) -> None:  # type: ignore[no-untyped-def]
    records.set_flag(conversation_id, stage, flag, channels, raised_at=raised_at)


def run(settings: Settings, stop: threading.Event, poll_s: float = POLL_S) -> None:
    """Deliver until `stop` is set. A fault in one round is logged and the next round tries again."""
    worker = f"{socket.gethostname()}-{os.getpid()}"
    if not settings.alert_channels:
        logger.warning("no duty alert channel is set (DUTY_ALERT_WEBHOOK_URL, DUTY_ALERT_EMAIL + SMTP_HOST): "
                       "alerts are stored as %s", c.DELIVERY_NO_CHANNEL)
    while not stop.is_set():
        try:
            busy = run_once(settings, worker)
        except Exception:  # noqa: BLE001 (the database may be away; keep going)
            logger.exception("alert round failed; trying again")
            busy = 0
        if not busy:
            stop.wait(poll_s)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    stop = threading.Event()

    def _stop(_signum: int, _frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(load_settings(), stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
