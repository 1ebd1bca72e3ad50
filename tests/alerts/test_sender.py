"""The sender against real local receivers: what arrives, that nothing of the person's words
does, and that an alert still arrives after the receiver or the database was away.

The receivers are a webhook server and an SMTP sink on loopback (tests/alerts/receivers.py);
`run_once` is the sender's round, called here in the test's own process.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from bot import constants as c
from bot.alerts import channels, spool
from bot.alerts.sender import run_once
from bot.settings import Settings, load_settings
from bot.store import alerts, db, records
from bot.store.db import session_scope
from bot.store.models import Alert, AlertAttempt, utcnow
from tests.alerts.receivers import free_port, http_receiver, smtp_sink

CID = "conv-7f3a"
S = c.STAGE_OUTCOMES
REF = "NR-2026-0042"
# Distinctive words the person "said": they must never travel in an alert.
OWN_WORDS = ("marmalade", "xylophone", "quokka", "zeppelin")
PAYLOAD_KEYS = {"alert_id", "kind", "enquiry_ref", "conversation_id", "stage", "raised_at", "link"}
BROKEN_DATABASE = "postgresql://nobody@127.0.0.1:1/not_there"  # nothing listens on port 1


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """No channel yet, a short back-off, a spool of the test's own."""
    return replace(
        load_settings(),
        duty_alert_webhook_url="",
        duty_alert_webhook_secret="",
        duty_alert_email="",
        smtp_host="",
        smtp_username="",
        smtp_starttls=False,
        alert_max_delay_s=0.05,
        alert_give_up_hours=24.0,
        public_base_url="https://workspace.example.test",
        spool_dir=str(tmp_path / "spool"),
    )


@pytest.fixture
def conversation(record_db: str) -> Iterator[str]:
    """A conversation that holds the person's words in a wish and in a comment."""
    records.start_conversation(CID, S, REF, "person")
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, f"{OWN_WORDS[0]} {OWN_WORDS[1]} stop the hitting")])
    records.save_answer(CID, S, "comments", f"the {OWN_WORDS[2]} and the {OWN_WORDS[3]}")
    yield CID


def _assert_no_own_words(text: str) -> None:
    for word in OWN_WORDS:
        assert word not in text.lower(), f"the person's word {word!r} travelled in an alert"


def _alert(alert_id: int) -> alerts.AlertView:
    (found,) = [a for a in alerts.list_alerts() if a.id == alert_id]
    return found


def _attempts(alert_id: int) -> List[Any]:
    with session_scope() as session:
        return [(a.channel, a.ok, a.error) for a in session.execute(
            select(AlertAttempt).where(AlertAttempt.alert_id == alert_id).order_by(AlertAttempt.id)
        ).scalars()]


def _wait_due(settings: Settings) -> None:
    time.sleep(settings.alert_max_delay_s * 2)


def test_webhook_gets_ids_and_a_link_and_no_words(settings: Settings, conversation: str) -> None:
    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url, duty_alert_webhook_secret="s3cret")
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 1
        (delivery,) = hook.received
    data = delivery.json
    assert set(data) == PAYLOAD_KEYS
    assert data["alert_id"] == alert_id
    assert (data["kind"], data["enquiry_ref"], data["conversation_id"], data["stage"]) == (
        c.FLAG_URGENT_SAFETY, REF, CID, S)
    assert data["raised_at"].endswith("Z")
    assert data["link"] == f"https://workspace.example.test/review/conversations/{CID}"
    assert delivery.headers["Content-Type"] == "application/json"
    _assert_no_own_words(delivery.body.decode())
    _assert_no_own_words(str(delivery.headers))
    assert delivery.signature_ok("s3cret")
    assert not delivery.signature_ok("another secret")
    assert alert_id is not None
    alert = _alert(alert_id)
    assert (alert.delivery, alert.attempts, alert.channels_done) == (c.DELIVERY_SENT, 1, ("webhook",))
    assert run_once(settings, "test") == 0  # sent once, not again


def test_no_signature_header_without_a_secret(settings: Settings, conversation: str) -> None:
    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url)
        records.set_flag(conversation, S, c.FLAG_WANTS_HUMAN_CONTACT, settings.alert_channels)
        run_once(settings, "test")
        (delivery,) = hook.received
    assert "X-MSP-Signature" not in delivery.headers
    assert delivery.json["kind"] == c.FLAG_WANTS_HUMAN_CONTACT


def test_email_carries_the_reference_and_link_and_no_words(settings: Settings, conversation: str) -> None:
    with smtp_sink() as sink:
        settings = replace(settings, duty_alert_email="duty@example.test", smtp_host=sink.host,
                           smtp_port=sink.port, smtp_from="msp@example.test")
        assert settings.alert_channels == ("email",)
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 1
        (message,) = sink.messages
    assert REF in message["Subject"] and "Urgent safety" in message["Subject"]
    assert message["To"] == "duty@example.test" and sink.envelopes == [("msp@example.test", ["duty@example.test"])]
    body = message.get_content()
    assert REF in body and CID in body
    assert f"https://workspace.example.test/review/conversations/{CID}" in body
    _assert_no_own_words(message.as_string())
    assert alert_id is not None and _alert(alert_id).delivery == c.DELIVERY_SENT


def test_an_unsafe_enquiry_ref_still_makes_one_email(settings: Settings, record_db: str) -> None:
    """The enquiry ref comes from the client: a line break must not stop (or forge) the email."""
    records.start_conversation("conv-x", S, "NR-1\nBcc: someone@example.test", "person")
    with smtp_sink() as sink:
        settings = replace(settings, duty_alert_email="duty@example.test", smtp_host=sink.host,
                           smtp_port=sink.port)
        alert_id = records.set_flag("conv-x", S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        (message,) = sink.messages
    assert message["Subject"] == "Urgent safety: enquiry NR-1 Bcc: someone@example.test"
    assert message["Bcc"] is None and sink.envelopes[0][1] == ["duty@example.test"]
    assert alert_id is not None and _alert(alert_id).delivery == c.DELIVERY_SENT


def test_receiver_down_then_failing_still_gets_the_alert_once_back(
    settings: Settings, conversation: str
) -> None:
    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url)
        hook.down()  # connection refused
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert alert_id is not None
        assert run_once(settings, "test") == 1
        assert _alert(alert_id).delivery == c.DELIVERY_RETRYING
        assert _alert(alert_id).last_error == "webhook: ConnectionError"

        hook.up()
        hook.fail(503)  # up, but not taking alerts yet
        _wait_due(settings)
        assert run_once(settings, "test") == 1
        assert _alert(alert_id).last_error == "webhook: HTTP 503"

        hook.succeed()
        _wait_due(settings)
        assert run_once(settings, "test") == 1
        assert len(hook.received) == 1 and len(hook.refused) == 1
        assert hook.received[0].json["alert_id"] == alert_id
    alert = _alert(alert_id)
    assert (alert.delivery, alert.attempts, alert.last_error) == (c.DELIVERY_SENT, 3, None)
    assert _attempts(alert_id) == [
        ("webhook", False, "ConnectionError"), ("webhook", False, "HTTP 503"), ("webhook", True, None)]


def test_a_redirect_is_not_taken_for_delivery(settings: Settings, conversation: str) -> None:
    """requests would follow a 302 with a GET and no body; a 200 to that must not count as sent."""
    with http_receiver() as elsewhere, http_receiver() as hook:
        hook.redirect(elsewhere.url)
        settings = replace(settings, duty_alert_webhook_url=hook.url)
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        assert [d.method for d in hook.refused] == ["POST"]
        assert elsewhere.received == []
    assert alert_id is not None
    assert (_alert(alert_id).delivery, _alert(alert_id).last_error) == (c.DELIVERY_RETRYING, "webhook: HTTP 302")


def test_webhook_sent_once_while_the_mail_server_is_away(settings: Settings, conversation: str) -> None:
    port = free_port()  # nothing listens here yet
    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url, duty_alert_email="duty@example.test",
                           smtp_host="127.0.0.1", smtp_port=port)
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert alert_id is not None
        run_once(settings, "test")
        alert = _alert(alert_id)
        assert (alert.delivery, alert.channels_done) == (c.DELIVERY_RETRYING, ("webhook",))
        assert alert.last_error is not None and alert.last_error.startswith("email: ")
        with smtp_sink() as sink:
            settings = replace(settings, smtp_host=sink.host, smtp_port=sink.port)
            _wait_due(settings)
            run_once(settings, "test")
            assert len(sink.messages) == 1
        assert len(hook.received) == 1  # the webhook was not sent twice
    assert _alert(alert_id).delivery == c.DELIVERY_SENT


def test_a_channel_that_raises_is_recorded_not_fatal(
    settings: Settings, conversation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_alert: Any, _settings: Settings) -> None:
        raise RuntimeError("a bug in a channel")

    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url, duty_alert_email="duty@example.test",
                           smtp_host="127.0.0.1")
        monkeypatch.setitem(channels.CHANNELS, "email", broken)
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 1
        assert len(hook.received) == 1
    assert alert_id is not None
    alert = _alert(alert_id)
    assert (alert.delivery, alert.channels_done, alert.last_error) == (
        c.DELIVERY_RETRYING, ("webhook",), "email: RuntimeError")


def test_no_channel_leaves_the_alert_as_no_channel(settings: Settings, conversation: str) -> None:
    alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
    assert settings.alert_channels == ()
    assert run_once(settings, "test") == 0
    assert alert_id is not None and _alert(alert_id).delivery == c.DELIVERY_NO_CHANNEL


def test_gives_up_after_the_configured_hours(settings: Settings, conversation: str) -> None:
    with http_receiver(status=503) as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url, alert_give_up_hours=1.0)
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 1
        with session_scope() as session:  # as if the hour had passed
            session.execute(update(Alert).where(Alert.id == alert_id).values(
                raised_at=utcnow() - timedelta(hours=1, seconds=1)))
        _wait_due(settings)
        assert run_once(settings, "test") == 0
    assert alert_id is not None
    assert [a.id for a in alerts.list_alerts(delivery=c.DELIVERY_FAILED)] == [alert_id]


def _tracker(sender: str) -> Tracker:
    return Tracker(sender, {"stage": S}, {"text": "", "intent": {}, "entities": []}, [], False, None, {}, None)


def test_flag_spooled_while_the_database_is_away_is_stored_once_it_is_back(
    settings: Settings, conversation: str, record_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.actions import common
    from bot.actions.safety import raise_flag

    with http_receiver() as hook:
        settings = replace(settings, duty_alert_webhook_url=hook.url)
        monkeypatch.setenv("DUTY_ALERT_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("SPOOL_DIR", settings.spool_dir)
        common.settings.cache_clear()  # the actions read settings once per process
        db.configure(BROKEN_DATABASE)
        try:
            # The action cannot save: it spools, and tells the person no alert went.
            assert raise_flag(_tracker(conversation), c.FLAG_URGENT_SAFETY) is False
            assert len(spool.pending(settings.spool_dir)) == 1
            # The sender cannot store it either while the database is away: it keeps the file.
            with pytest.raises(OperationalError):
                run_once(settings, "test")
            assert len(spool.pending(settings.spool_dir)) == 1
        finally:
            db.configure(record_db)
            common.settings.cache_clear()
        assert run_once(settings, "test") == 1
        assert spool.pending(settings.spool_dir) == []
        (delivery,) = hook.received
    record = records.get_record(conversation, S)
    assert record is not None and record["flags"][c.FLAG_URGENT_SAFETY] is True
    (alert,) = alerts.list_alerts()
    assert (alert.id, alert.delivery, alert.conversation_id) == (delivery.json["alert_id"], c.DELIVERY_SENT, CID)
    assert alert.raised_at < utcnow()
    assert run_once(settings, "test") == 0 and len(hook.received) == 1


def test_run_keeps_going_after_a_failed_round_and_stops_when_told(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from bot.alerts import sender

    stop = threading.Event()
    calls: List[int] = []

    def round_(_settings: Settings, _worker: str) -> int:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("SELECT 1", {}, ConnectionError("database away"))
        stop.set()
        return 0

    monkeypatch.setattr(sender, "run_once", round_)
    worker = threading.Thread(target=sender.run, args=(settings, stop), kwargs={"poll_s": 0.01})
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and len(calls) == 3
