"""Record pushes against a local case system: the README's example receiver behind a real HTTP server.

The sender's push round (`bot.alerts.pushes.run_once`) runs in the test's own
process; the receiver (tests/alerts/receivers.py, with the checks of
docs/examples/record_receiver.py) can be up, down, failing, or keep a record
and lose its answer. No trained model is needed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from sqlalchemy import update

from bot import constants as c
from bot.alerts import pushes as push_round
from bot.alerts.sender import run_once as sender_round
from bot.settings import Settings, load_settings
from bot.store import alerts, corrections, pushes, records
from bot.store.db import session_scope
from bot.store.models import RecordPush, utcnow
from tests.alerts.receivers import Delivery, HttpReceiver, http_receiver

SECRET = "case-system-shared-secret"
CID, S, REF = "conv-push-1", c.STAGE_OUTCOMES, "NR-2026-0042"
WORDS = ("marmalade", "xylophone", "quokka", "zeppelin", "07700 900123")
WORKER = "test-sender"


def _example() -> Any:
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "record_receiver.py"
    spec = importlib.util.spec_from_file_location("record_receiver_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RecordInbox = _example().RecordInbox


class CaseSystem(HttpReceiver):
    """The example receiver behind HTTP. `fail(503)` refuses before looking; `lose_answers` keeps the
    record but answers 500 (as if the answer were lost on the way back)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.inbox = RecordInbox(secret)
        self.outcomes: List[str] = []
        self.lose_answers = False
        super().__init__("/records")

    def _record(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Optional[str]]:
        with self._changed:
            status, what = self.status, f"told to answer {self.status}"
            if 200 <= status < 300:
                status, what = self.inbox.accept(headers, body)
            delivery = Delivery(method=method, path=path, headers=headers, body=body, status=status)
            (self.received if 200 <= status < 300 else self.refused).append(delivery)
            self.outcomes.append(what)
            self._changed.notify_all()
            if self.lose_answers and status < 300:
                return 500, None
            return status, None


@pytest.fixture
def case_system() -> Iterator[CaseSystem]:
    receiver = CaseSystem()
    try:
        yield receiver
    finally:
        receiver.down()


def _settings(receiver: Optional[HttpReceiver], **changes: Any) -> Settings:
    base = {
        "duty_alert_webhook_url": "", "duty_alert_email": "", "out_of_hours_webhook_url": "",
        "out_of_hours_email": "", "smtp_host": "",
        "record_push_url": receiver.url if receiver else "http://127.0.0.1:9/records", "record_push_secret": SECRET, "record_push_include_words": False,
    }
    return load_settings().copy(update={**base, **changes})


def _finish(cid: str = CID) -> None:
    records.start_conversation(cid, S, REF, c.ROLE_PERSON)
    records.add_outcomes(cid, S, [(c.FEEL_SAFER, f"{WORDS[0]} stop the hitting"),
                                  (c.MAKE_FRIENDS, f"a {WORDS[1]} club")])
    records.save_answer(cid, S, "comments", f"the {WORDS[2]} said so")
    records.save_contact_answer(cid, S, c.CONTACT_SAFE_TO_CALL, c.YES)
    records.save_contact_answer(cid, S, c.CONTACT_WHEN, f"after the {WORDS[3]}")
    records.save_contact_answer(cid, S, c.CONTACT_NUMBER, WORDS[4])
    records.set_status(cid, S, c.STATUS_COMPLETED)


def _correct(index: int = 0, code: str = c.ABUSER_STAYS_AWAY) -> None:
    assert corrections.recode(CID, S, index, code, "worker@example.org")


def _due_now() -> None:
    """Skip the back-off wait: every push still to go is due now."""
    with session_scope() as session:
        session.execute(update(RecordPush).where(RecordPush.state == c.PUSH_QUEUED)
                        .values(next_attempt_at=utcnow()))


def _versions(deliveries: List[Delivery]) -> List[int]:
    return [d.json["version"] for d in deliveries]


def _state(version: int) -> str:
    (push,) = [p for p in pushes.list_pushes() if p.conversation_id == CID and p.version == version]
    return push.state


def test_receiver_up_gets_exactly_one_push_per_version(record_db: str, case_system: CaseSystem) -> None:
    settings = _settings(case_system)
    _finish()
    assert push_round.run_once(settings, WORKER) == 1
    _correct()
    assert push_round.run_once(settings, WORKER) == 1
    assert push_round.run_once(settings, WORKER) == 0  # nothing left
    first, second = case_system.received
    assert _versions(case_system.received) == [1, 2]
    assert case_system.outcomes == ["kept", "kept"]
    assert all(d.signature_ok(SECRET) for d in case_system.received)
    keys = [d.headers["Idempotency-Key"] for d in case_system.received]
    assert keys[0] != keys[1] and keys[0].endswith("-v1") and keys[1].endswith("-v2")
    assert first.headers["Content-Type"].startswith("application/json")
    # The body is the record contract, as the export writes it (words stripped), with its version.
    record = records.get_record(CID, S)
    assert second.json == {**push_round.without_words(record), "version": 2, "words_included": False}
    assert second.json["outcomes"][0]["code"] == c.ABUSER_STAYS_AWAY
    assert (_state(1), _state(2)) == (c.PUSH_SENT, c.PUSH_SENT)
    assert case_system.inbox.records[(CID, S)]["version"] == 2


def test_receiver_down_then_back_gets_the_newest_version_once(record_db: str, case_system: CaseSystem) -> None:
    settings = _settings(case_system)
    case_system.down()
    _finish()
    for _ in range(3):  # a weekend away, in short
        _due_now()
        assert push_round.run_once(settings, WORKER) == 1
    (waiting,) = pushes.list_pushes(failing=True)
    assert waiting.attempts == 3 and waiting.last_error == "ConnectionError"
    _correct()  # changed while the case system was away: version 2 supersedes version 1
    case_system.up()
    case_system.fail(503)  # back, but not ready yet
    _due_now()
    push_round.run_once(settings, WORKER)
    case_system.succeed()
    _due_now()
    assert push_round.run_once(settings, WORKER) == 1
    (delivered,) = case_system.received
    assert delivered.json["version"] == 2 and delivered.json["outcomes"][0]["code"] == c.ABUSER_STAYS_AWAY
    assert (_state(1), _state(2)) == (c.PUSH_SUPERSEDED, c.PUSH_SENT)
    assert [d.status for d in case_system.refused] == [503]
    assert pushes.waiting().queued == 0


def test_a_lost_answer_is_sent_again_and_the_receiver_drops_the_repeat(
        record_db: str, case_system: CaseSystem) -> None:
    settings = _settings(case_system)
    case_system.lose_answers = True
    _finish()
    push_round.run_once(settings, WORKER)
    assert _state(1) == c.PUSH_QUEUED  # the sender never heard the 200
    case_system.lose_answers = False
    _due_now()
    push_round.run_once(settings, WORKER)
    assert _state(1) == c.PUSH_SENT
    first, again = case_system.received
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"]
    assert case_system.outcomes == ["kept", "repeat"]
    assert len(case_system.inbox.records) == 1


def test_the_example_receiver_keeps_the_newest_version_whatever_the_order(record_db: str) -> None:
    settings = _settings(None)
    _finish()
    record = records.get_record(CID, S)
    inbox = RecordInbox(SECRET)
    newer, older = push_round.build(record, 2, settings), push_round.build(record, 1, settings)
    assert inbox.accept(newer[1], newer[0]) == (200, "kept")
    assert inbox.accept(older[1], older[0]) == (200, "older")
    assert inbox.accept(newer[1], newer[0]) == (200, "repeat")
    assert inbox.records[(CID, S)]["version"] == 2


def test_a_bad_signature_is_refused_and_the_push_waits(record_db: str, case_system: CaseSystem) -> None:
    settings = _settings(case_system, record_push_secret="not-the-shared-secret")
    _finish()
    push_round.run_once(settings, WORKER)
    assert case_system.received == [] and case_system.outcomes == ["bad signature"]
    (push,) = pushes.list_pushes()
    assert push.state == c.PUSH_QUEUED and push.last_error == "HTTP 401"
    # A body changed on the way, or no signature at all, is refused too.
    raw, headers = push_round.build(records.get_record(CID, S), 1, _settings(case_system))
    assert RecordInbox(SECRET).accept(headers, raw.replace(b'"version":1', b'"version":9'))[0] == 401
    assert RecordInbox(SECRET).accept({**headers, "X-MSP-Signature": ""}, raw)[0] == 401
    assert RecordInbox(SECRET).accept(headers, raw) == (200, "kept")


def test_without_include_words_the_push_has_codes_and_answers_but_no_words(
        record_db: str, case_system: CaseSystem) -> None:
    _finish()
    push_round.run_once(_settings(case_system), WORKER)
    (delivered,) = case_system.received
    text = delivered.body.decode()
    for word in WORDS:
        assert word not in text, f"the person's words {word!r} were pushed"
    body = delivered.json
    assert body["words_included"] is False
    assert [o["code"] for o in body["outcomes"]] == [c.FEEL_SAFER, c.MAKE_FRIENDS]
    assert {o["own_words"] for o in body["outcomes"]} == {None} and body["feedback"]["comments"] is None
    assert body["safe_contact"]["safe_to_call"] == c.YES and body["safe_contact"]["number"] is None
    assert body["status"] == c.STATUS_COMPLETED and body["enquiry_ref"] == REF


def test_with_include_words_the_push_carries_them(record_db: str, case_system: CaseSystem) -> None:
    _finish()
    push_round.run_once(_settings(case_system, record_push_include_words=True), WORKER)
    (delivered,) = case_system.received
    assert delivered.json["words_included"] is True
    assert all(word in delivered.body.decode() for word in WORDS)
    assert delivered.json == {**records.get_record(CID, S), "version": 1, "words_included": True}


def test_without_words_reaches_every_word_key() -> None:
    record = {"outcomes": [{"code": "x", "own_words": "a"}], "withdrawn_outcomes": [{"own_words": "b"}],
              "feedback": {"goals_met": "yes", "comments": "c"},
              "safe_contact": {"safe_to_call": "no", "when": "d", "number": "e", "if_call_missed": "f"},
              "checkins": [{"feels_safe_now": "yes", "comment": "g"}]}
    stripped = json.dumps(push_round.without_words(record))
    assert not any(f'"{letter}"' in stripped for letter in "abcdefg")
    assert '"yes"' in stripped and '"no"' in stripped and '"x"' in stripped


def test_superseded_versions_are_never_sent(record_db: str, case_system: CaseSystem) -> None:
    _finish()
    _correct(0, c.ABUSER_STAYS_AWAY)
    _correct(1, c.ACCESS_SUPPORT)
    push_round.run_once(_settings(case_system), WORKER)
    assert _versions(case_system.received) == [3]
    assert [_state(v) for v in (1, 2, 3)] == [c.PUSH_SUPERSEDED, c.PUSH_SUPERSEDED, c.PUSH_SENT]


def test_a_practitioner_stops_a_push_and_it_is_not_tried_again(record_db: str, case_system: CaseSystem) -> None:
    settings = _settings(case_system)
    case_system.down()
    _finish()
    push_round.run_once(settings, WORKER)
    (push,) = pushes.list_pushes(failing=True)
    assert pushes.stop(push.id, "worker@example.org")
    case_system.up()
    _due_now()
    assert push_round.run_once(settings, WORKER) == 0
    assert case_system.received == [] and _state(1) == c.PUSH_STOPPED


def test_without_a_secret_or_an_address_nothing_is_sent_and_nothing_is_lost(
        record_db: str, case_system: CaseSystem) -> None:
    _finish()
    assert push_round.ready(_settings(case_system, record_push_url="")) is not None
    assert push_round.run_once(_settings(case_system, record_push_secret=""), WORKER) == 0
    assert "RECORD_PUSH_SECRET" in (push_round.ready(_settings(case_system, record_push_secret="")) or "")
    assert case_system.received == [] and _state(1) == c.PUSH_QUEUED
    assert push_round.run_once(_settings(case_system), WORKER) == 1
    assert _versions(case_system.received) == [1]


def test_the_sender_round_sends_alerts_and_pushes_apart(record_db: str, case_system: CaseSystem,
                                                        tmp_path: Path) -> None:
    with http_receiver() as duty:
        settings = _settings(case_system, duty_alert_webhook_url=duty.url, spool_dir=str(tmp_path / "spool"))
        _finish()
        records.set_flag(CID, S, c.FLAG_URGENT_SAFETY, settings.alert_channels)
        assert sender_round(settings, WORKER) == 2
        (alert,) = duty.received
        assert alert.json["kind"] == c.FLAG_URGENT_SAFETY
    (push,) = case_system.received
    assert push.json["version"] == 1
    assert [a.kind for a in alerts.list_alerts()] == [c.FLAG_URGENT_SAFETY]  # the push is no alert
    record = records.get_record(CID, S)
    assert record is not None and [a["kind"] for a in record["alerts"]] == [c.FLAG_URGENT_SAFETY]


def test_the_log_holds_no_words_and_no_secret(record_db: str, case_system: CaseSystem,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    settings = _settings(case_system, record_push_include_words=True)
    case_system.down()
    _finish()
    push_round.run_once(settings, WORKER)
    case_system.up()
    _due_now()
    push_round.run_once(settings, WORKER)
    assert "not delivered" in caplog.text and "sent" in caplog.text
    for secret_or_word in (SECRET, *WORDS):
        assert secret_or_word not in caplog.text
