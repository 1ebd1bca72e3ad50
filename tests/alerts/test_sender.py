"""The sender against real local receivers: what arrives, that nothing of the person's words
does, and that an alert still arrives after the receiver or the database was away.

The receivers are a webhook server and an SMTP sink on loopback (tests/alerts/receivers.py);
`run_once` is the sender's round, called here in the test's own process.
"""

from __future__ import annotations

import time
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
PAYLOAD_KEYS = {"alert_id", "kind", "reason", "follows_alert_id", "route", "enquiry_ref", "conversation_id",
                "stage", "raised_at", "link", "safe_contact", "safe_contact_link"}
# Safe-contact answers the person gave: they stay in the workspace, never in an alert.
CONTACT_WORDS = ("tangerine", "07700 900456")
BROKEN_DATABASE = "postgresql://nobody@127.0.0.1:1/not_there"  # nothing listens on port 1


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """No channel yet, a short back-off, a spool of the test's own."""
    return load_settings().copy(update={
        "duty_alert_webhook_url": "",
        "duty_alert_webhook_secret": "",
        "duty_alert_email": "",
        "out_of_hours_webhook_url": "",
        "out_of_hours_webhook_secret": "",
        "out_of_hours_email": "",
        "smtp_host": "",
        "smtp_username": "",
        "smtp_starttls": False,
        "alert_max_delay_s": 0.05,
        "alert_give_up_hours": 24.0,
        "alert_escalate_minutes": 15.0,
        "public_base_url": "https://workspace.example.test",
        "spool_dir": str(tmp_path / "spool"),
    })


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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url, "duty_alert_webhook_secret": "s3cret"})
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 1
        (delivery,) = hook.received
    data = delivery.json
    assert set(data) == PAYLOAD_KEYS
    assert data["alert_id"] == alert_id
    assert (data["kind"], data["enquiry_ref"], data["conversation_id"], data["stage"]) == (
        c.FLAG_URGENT_SAFETY, REF, CID, S)
    assert (data["reason"], data["follows_alert_id"], data["route"]) == (c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY)
    assert (data["safe_contact"], data["safe_contact_link"]) == (False, None)
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url})
        records.set_flag(conversation, S, c.FLAG_WANTS_HUMAN_CONTACT, settings.alert_channels)
        run_once(settings, "test")
        (delivery,) = hook.received
    assert "X-MSP-Signature" not in delivery.headers
    assert delivery.json["kind"] == c.FLAG_WANTS_HUMAN_CONTACT


def test_email_carries_the_reference_and_link_and_no_words(settings: Settings, conversation: str) -> None:
    with smtp_sink() as sink:
        settings = settings.copy(update={"duty_alert_email": "duty@example.test", "smtp_host": sink.host,
                                         "smtp_port": sink.port, "smtp_from": "msp@example.test"})
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
        settings = settings.copy(update={"duty_alert_email": "duty@example.test", "smtp_host": sink.host,
                                         "smtp_port": sink.port})
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url})
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url})
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        assert [d.method for d in hook.refused] == ["POST"]
        assert elsewhere.received == []
    assert alert_id is not None
    assert (_alert(alert_id).delivery, _alert(alert_id).last_error) == (c.DELIVERY_RETRYING, "webhook: HTTP 302")


def test_webhook_sent_once_while_the_mail_server_is_away(settings: Settings, conversation: str) -> None:
    port = free_port()  # nothing listens here yet
    with http_receiver() as hook:
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url, "duty_alert_email": "duty@example.test",
                                         "smtp_host": "127.0.0.1", "smtp_port": port})
        alert_id = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert alert_id is not None
        run_once(settings, "test")
        alert = _alert(alert_id)
        assert (alert.delivery, alert.channels_done) == (c.DELIVERY_RETRYING, ("webhook",))
        assert alert.last_error is not None and alert.last_error.startswith("email: ")
        with smtp_sink() as sink:
            settings = settings.copy(update={"smtp_host": sink.host, "smtp_port": sink.port})
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url, "duty_alert_email": "duty@example.test",
                                         "smtp_host": "127.0.0.1"})
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url, "alert_give_up_hours": 1.0})
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
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url})
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


# Follow-ups, safe contact, escalation -----------------------------------------------------------

LATER = timedelta(minutes=16)  # past ALERT_ESCALATE_MINUTES (15)


def _with_email(settings: Settings, sink: Any, **more: Any) -> Settings:
    return settings.copy(update={"duty_alert_email": "duty@example.test", "smtp_host": sink.host, "smtp_port": sink.port,
                                 "smtp_from": "msp@example.test", **more})


def test_each_danger_message_sends_a_follow_up_linked_to_the_first(settings: Settings, conversation: str) -> None:
    with http_receiver() as hook, smtp_sink() as sink:
        settings = _with_email(settings, sink, duty_alert_webhook_url=hook.url)
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels, message_id="m1")
        again = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels, message_id="m2")
        assert run_once(settings, "test") == 2
        deliveries = sorted((d.json for d in hook.received), key=lambda d: d["alert_id"])
        messages = list(sink.messages)
    assert [(d["alert_id"], d["reason"], d["follows_alert_id"], d["route"]) for d in deliveries] == [
        (first, c.ALERT_REASON_FIRST, None, c.ROUTE_DUTY), (again, c.ALERT_REASON_AGAIN, first, c.ROUTE_DUTY)]
    (follow_up,) = [m for m in messages if "Follow-up" in m["Subject"]]
    assert follow_up["Subject"] == f"Follow-up: another danger message (enquiry {REF})"
    body = follow_up.get_content()
    assert "Follow-up: another danger message" in body and f"It follows alert {first}." in body
    assert f"Alert: {again} (follows alert {first})" in body
    for message in messages:
        _assert_no_own_words(message.as_string())
    assert again is not None and _alert(again).delivery == c.DELIVERY_SENT


def test_safe_contact_answers_are_linked_to_never_sent(settings: Settings, conversation: str) -> None:
    from bot.store.models import Conversation

    with session_scope() as session:  # the person answered the safe-contact questions
        row = session.execute(select(Conversation).where(Conversation.conversation_id == CID)).scalar_one()
        row.contact_safe_to_call = c.YES
        row.contact_when = f"after six, the {CONTACT_WORDS[0]} door"
        row.contact_number = CONTACT_WORDS[1]
        row.contact_answered_at = utcnow()
    with http_receiver() as hook, smtp_sink() as sink:
        settings = _with_email(settings, sink, duty_alert_webhook_url=hook.url)
        records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        (delivery,) = hook.received
        (message,) = sink.messages
    link = f"https://workspace.example.test/review/conversations/{CID}#safe-contact"
    assert (delivery.json["safe_contact"], delivery.json["safe_contact_link"]) == (True, link)
    assert "Safe contact: the person has said how to reach them safely" in message.get_content()
    assert link in message.get_content()
    for text in (delivery.body.decode(), message.as_string()):
        _assert_no_own_words(text)
        for words in CONTACT_WORDS:
            assert words not in text, "a safe-contact answer travelled in an alert"


def test_quick_exit_after_danger_is_told_to_the_duty_team(settings: Settings, conversation: str) -> None:
    with smtp_sink() as sink:
        settings = _with_email(settings, sink)
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        left = alerts.note_quick_exit(conversation, settings.alert_channels)
        assert run_once(settings, "test") == 2
        (message,) = [m for m in sink.messages if "left the chat" in m["Subject"]]
    assert message["Subject"] == f"Follow-up: the person left the chat quickly (enquiry {REF})"
    assert "The person left the chat quickly with Exit this page" in message.get_content()
    assert f"It follows alert {first}." in message.get_content()
    assert left is not None and _alert(left).delivery == c.DELIVERY_SENT


def test_unacknowledged_alert_is_escalated_once_to_the_out_of_hours_team_only(
    settings: Settings, conversation: str
) -> None:
    with http_receiver() as duty, http_receiver("/out-of-hours") as ooh, smtp_sink() as sink:
        settings = _with_email(settings, sink, duty_alert_webhook_url=duty.url, out_of_hours_webhook_url=ooh.url,
                               out_of_hours_webhook_secret="ooh-secret", out_of_hours_email="ooh@example.test")
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert first is not None
        assert run_once(settings, "test") == 1
        assert run_once(settings, "test", now=utcnow() + timedelta(minutes=14)) == 0  # not yet
        assert ooh.received == []
        assert run_once(settings, "test", now=utcnow() + LATER) == 1  # the escalation, sent at once
        assert run_once(settings, "test", now=utcnow() + LATER * 3) == 0  # once
        (escalated,) = ooh.received
        assert len(duty.received) == 1  # the duty route did not get the escalation
        # A danger message after the escalation reaches both teams.
        again = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert run_once(settings, "test") == 2
        assert [d.json["alert_id"] for d in duty.received[1:]] == [again]
        assert [(d.json["reason"], d.json["route"]) for d in ooh.received[1:]] == [
            (c.ALERT_REASON_AGAIN, c.ROUTE_OUT_OF_HOURS)]
        envelopes = list(sink.envelopes)
        subjects = [m["Subject"] for m in sink.messages]
        escalation_mail = [m for m in sink.messages if "escalated" in m["Subject"]]
    data = escalated.json
    assert (data["reason"], data["route"], data["follows_alert_id"], data["kind"]) == (
        c.ALERT_REASON_ESCALATION, c.ROUTE_OUT_OF_HOURS, first, c.FLAG_URGENT_SAFETY)
    assert escalated.signature_ok("ooh-secret") and escalated.path == "/out-of-hours"
    _assert_no_own_words(escalated.body.decode())
    (mail,) = escalation_mail
    assert mail["To"] == "ooh@example.test"
    assert mail["Subject"] == f"Not acknowledged after 15 minutes: escalated (enquiry {REF})"
    assert "Not acknowledged after 15 minutes: escalated" in mail.get_content()
    _assert_no_own_words(mail.as_string())
    assert [to for _, to in envelopes] == [["duty@example.test"], ["ooh@example.test"], ["duty@example.test"],
                                           ["ooh@example.test"]], subjects
    head = _alert(first)
    assert head.escalated_at is not None and head.acknowledged_at is None
    (escalation,) = [a for a in alerts.list_alerts() if a.reason == c.ALERT_REASON_ESCALATION]
    assert (escalation.delivery, escalation.channels_done) == (c.DELIVERY_SENT, ("webhook", "email"))


def test_escalation_with_no_out_of_hours_channel_is_stored_not_sent(settings: Settings, conversation: str) -> None:
    with http_receiver() as duty:
        settings = settings.copy(update={"duty_alert_webhook_url": duty.url})
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        assert run_once(settings, "test", now=utcnow() + LATER) == 0
        assert len(duty.received) == 1
    (escalation,) = [a for a in alerts.list_alerts() if a.reason == c.ALERT_REASON_ESCALATION]
    assert (escalation.follows_alert_id, escalation.route, escalation.delivery) == (
        first, c.ROUTE_OUT_OF_HOURS, c.DELIVERY_NO_CHANNEL)


def test_an_acknowledged_alert_is_not_escalated(settings: Settings, conversation: str) -> None:
    with http_receiver() as duty, http_receiver() as ooh:
        settings = settings.copy(update={"duty_alert_webhook_url": duty.url, "out_of_hours_webhook_url": ooh.url})
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        run_once(settings, "test")
        assert first is not None and alerts.acknowledge(first, "duty-worker")
        assert run_once(settings, "test", now=utcnow() + LATER) == 0
        assert ooh.received == []
    assert _alert(first).escalated_at is None


def test_a_spooled_flag_stored_while_an_alert_is_open_is_a_follow_up(
    settings: Settings, conversation: str
) -> None:
    with http_receiver() as hook:
        settings = settings.copy(update={"duty_alert_webhook_url": hook.url})
        first = records.set_flag(conversation, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        spool.spool_flag(settings.spool_dir, conversation, S, c.FLAG_URGENT_SAFETY, message_id="m-spooled")
        assert run_once(settings, "test") == 2
        assert spool.pending(settings.spool_dir) == []
    (follow_up,) = [a for a in alerts.list_alerts() if a.id != first]
    assert (follow_up.reason, follow_up.follows_alert_id, follow_up.message_id, follow_up.delivery) == (
        c.ALERT_REASON_AGAIN, first, "m-spooled", c.DELIVERY_SENT)
