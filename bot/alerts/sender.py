"""The duty alert sender: one process beside the servers (`msp serve` starts it).

Each round it stores any flags that were spooled while the database was away,
escalates the urgent alerts nobody acknowledged in ALERT_ESCALATE_MINUTES
(an escalation alert for the out-of-hours team), then claims the alerts that
are due and tries each channel of the alert's route that has not had it yet.
A failed try is retried with back-off (1 s, 2 s, 4 s ..., at most
ALERT_MAX_DELAY_S apart) until ALERT_GIVE_UP_HOURS have passed; then the
alert is `failed`, and stays visible to practitioners. Then it sends the
records due to the council's case system (`pushes.py`), which are never
given up.

Usage: python -m bot.alerts.sender   (or `msp send-alerts`)
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from datetime import datetime, timedelta
from types import FrameType
from typing import Dict, Optional, Sequence

from bot import constants as c
from bot.alerts import pushes, spool
from bot.alerts.channels import CHANNELS, out_of_hours_channels, route_channels
from bot.settings import Settings, load_settings
from bot.store import alerts, outbox, records
from bot.store.alerts import AlertView
from bot.store.outbox import LEASE

logger = logging.getLogger("bot.alerts.sender")

POLL_S = 1.0
# Alerts claimed per round. Small, so a round ends well inside the claim's lease
# even when a channel is slow (each try may wait TIMEOUT_S more than once).
BATCH = 10
# Longest pause after a round that failed (the database away), so the log is not
# flooded; the next round still comes within this many seconds of the database's return.
ERROR_PAUSE_MAX_S = 30.0


def _try_channel(name: str, alert: AlertView, settings: Settings) -> Optional[str]:
    """One channel, one alert: None when it went, else a short error.

    Never raises: an unexpected fault in one channel must not stop the alert
    from being recorded (the other channel would be sent again each round).
    """
    try:
        return CHANNELS[name](alert, settings)
    except Exception as exc:  # noqa: BLE001 (recorded as this channel's error)
        logger.exception("alert %s: %s channel failed unexpectedly", alert.id, name)
        return type(exc).__name__


def deliver(alert: AlertView, settings: Settings, give_up: timedelta) -> str:
    """Try each channel of the alert's route that has not had it yet; record the round."""
    channels = route_channels(settings, alert.route)
    results: Dict[str, Optional[str]] = {
        name: _try_channel(name, alert, settings) for name in channels if name not in alert.channels_done
    }
    state = outbox.record_delivery(
        alert.id, channels, results, settings.alert_max_delay_s, give_up, claim=alert.claim
    )
    failed = {k: v for k, v in results.items() if v}
    what = alert.kind if alert.reason == c.ALERT_REASON_FIRST else f"{alert.kind}, {alert.reason}"
    if alert.route != c.ROUTE_DUTY:
        what += f", {alert.route}"
    if failed:
        logger.warning("alert %s (%s) not delivered by %s: now %s", alert.id, what,
                       ", ".join(f"{k} ({v})" for k, v in failed.items()), state)
    else:
        logger.info("alert %s (%s) %s", alert.id, what, state)
    return state


def escalate(settings: Settings, give_up: timedelta, now: Optional[datetime] = None) -> int:
    """Write an escalation for each urgent alert nobody acknowledged in time; returns how many."""
    made = alerts.escalate_overdue(timedelta(minutes=max(0.0, settings.alert_escalate_minutes)),
                                   out_of_hours_channels(settings), now=now, give_up=give_up)
    for first, escalation in made:
        logger.warning("alert %s not acknowledged after %g minutes: escalated (alert %s, out of hours)",
                       first, settings.alert_escalate_minutes, escalation)
    return len(made)


def run_once(settings: Settings, worker: str, now: Optional[datetime] = None) -> int:
    """One round: store spooled flags, escalate, then deliver what is due. Returns alerts tried.

    `now`: the time escalation is judged by (tests pass a later one; the rest uses the clock).
    """
    channels = settings.alert_channels

    def store_flag(conversation_id: str, stage: str, flag: str, raised_at: datetime,
                   message_id: Optional[str] = None, answers: Optional[Dict[str, str]] = None) -> None:
        # Through set_flag: a follow-up when an alert of that kind is open, like any new message.
        records.set_flag(conversation_id, stage, flag, channels, raised_at=raised_at, message_id=message_id,
                         answers=answers)

    spool.drain(settings.spool_dir, store_flag)
    give_up = timedelta(hours=settings.alert_give_up_hours)
    outbox.give_up_overdue(give_up)
    escalate(settings, give_up, now)
    # A no_channel alert is taken up again once its route has a channel.
    routes = tuple(route for route in (c.ROUTE_DUTY, c.ROUTE_OUT_OF_HOURS) if route_channels(settings, route))
    claimed = outbox.claim_due(worker, limit=BATCH, give_up=give_up, retry_no_channel=routes)
    # Then the record pushes, an outbox of their own with their own retry policy.
    return _deliver_all(claimed, settings, give_up) + pushes.run_once(settings, worker)


def _deliver_all(claimed: Sequence[AlertView], settings: Settings, give_up: timedelta) -> int:
    """Try each claimed alert. Stop at half the lease: past that, another sender could take the
    rest over and send them twice. What is left is released, due again at once."""
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    for index, alert in enumerate(claimed):
        if time.monotonic() > deadline:
            _release(claimed[index:])
            return index
        deliver(alert, settings, give_up)
    return len(claimed)


def _release(left: Sequence[AlertView]) -> None:
    claim = left[0].claim
    if claim:
        outbox.release([a.id for a in left], claim)


def run(settings: Settings, stop: threading.Event, poll_s: float = POLL_S) -> None:
    """Deliver until `stop` is set. A fault in one round is logged and the next round tries again."""
    worker = f"{socket.gethostname()}-{os.getpid()}"
    if not settings.alert_channels:
        logger.warning("no duty alert channel is set (DUTY_ALERT_WEBHOOK_URL, DUTY_ALERT_EMAIL + SMTP_HOST): "
                       "alerts are stored as %s", c.DELIVERY_NO_CHANNEL)
    if not out_of_hours_channels(settings):
        logger.warning("no out-of-hours channel is set (OUT_OF_HOURS_WEBHOOK_URL, OUT_OF_HOURS_EMAIL + "
                       "SMTP_HOST): escalations are stored as %s", c.DELIVERY_NO_CHANNEL)
    waiting = pushes.ready(settings)
    if waiting and settings.record_push_url:
        logger.warning("%s", waiting)
    failures = 0
    while not stop.is_set():
        try:
            busy = run_once(settings, worker)
        except Exception:  # noqa: BLE001 (the database may be away; keep going)
            failures += 1
            if failures == 1:
                logger.exception("alert round failed; trying again")
            else:
                logger.warning("alert round failed again (%d in a row); trying again", failures)
            stop.wait(min(ERROR_PAUSE_MAX_S, poll_s * 2 ** min(failures - 1, 10)))
            continue
        if failures:
            logger.info("alert rounds work again after %d failure(s)", failures)
            failures = 0
        if not busy:
            stop.wait(poll_s)


def main() -> int:
    """`python -m bot.alerts.sender` / `msp send-alerts`: run in the foreground until SIGTERM or Ctrl-C."""
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
