"""The whole journey over HTTP, and each record on the case system: on SQLite and on PostgreSQL.

Issue 18 is done when the three stages and the push work end to end against
the real servers on both databases. For each database this starts its own
stack (Rasa, action server, sender, web app) whose RECORD_PUSH_URL is a local
case system running the checks of docs/examples/record_receiver.py (signature,
idempotency, newest version kept), with RECORD_PUSH_SECRET set and the
person's words left out. Then, for one enquiry: the outcomes conversation
finishes and its record arrives once, as version 1; a check-in takes a wish
away and adds one, and the outcomes record arrives again, newer, with the
check-in on it; the review asks only about the wishes that stand, and its
record arrives too. The sender works on its own clock, so the test waits for
each push with a polling loop, never a fixed sleep.

PostgreSQL runs as production does (PostgreSQL records and conversations,
Redis locks), with one Rasa instance to keep the machine's load down.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from bot import constants as c
from bot.runner import MODEL_PATH
from bot.settings import Settings
from bot.store.migrate import upgrade
from tests.alerts.receivers import Delivery, SmtpSink, http_receiver, smtp_sink
from tests.alerts.test_pushes import SECRET, CaseSystem
from tests.conversations.driver import Conversation, run_scenario
from tests.conversations.test_checkin_live import _check_in, _codes, _outcomes_first, _start
from tests.live import Live, e2e_settings, start_services
from tests.production.conftest import production_settings

pytestmark = pytest.mark.e2e

REF = "JOURNEY-PUSH-1"
WISHES = "I want him to go to court and I want to feel safe at home"
COMMENT = "he has moved away now"
# The person's words in this journey: none of them may reach the case system with words off.
OWN_WORDS = ("go to court", "safe at home", "kept informed", "moved away")
PUSH_WAIT_S = 120.0


class Journey(Live):
    """A running stack whose records go to `case_system`, and which database it stands on."""

    def __init__(self, live: Live, case_system: CaseSystem, database: str) -> None:
        super().__init__(live.services, live.env, live.webhook, live.mail)
        self.case_system = case_system
        self.database = database

    def pushes_of(self, conversation_id: str, stage: str) -> List[Dict[str, Any]]:
        """Every push the case system accepted for one record, in the order they came."""
        return [d.json for d in self.case_system.received
                if d.json["conversation_id"] == conversation_id and d.json["stage"] == stage]

    def queued(self, conversation_id: str) -> List[Tuple[int, str]]:
        """(version, state) of every push the outbox holds for the record, as `msp pushes` lists them."""
        rows = json.loads(self.msp("pushes", "--enquiry", REF, "--format", "json").stdout)
        return sorted((r["version"], r["state"]) for r in rows if r["conversation_id"] == conversation_id)

    def wait_for_push(self, conversation_id: str, stage: str,
                      arrived: Callable[[Dict[str, Any]], bool] = lambda body: True) -> Delivery:
        """The first accepted push of the record for which `arrived` holds, polling until PUSH_WAIT_S."""
        deadline = time.monotonic() + PUSH_WAIT_S
        while time.monotonic() < deadline:
            for delivery in list(self.case_system.received):
                body = delivery.json
                if (body["conversation_id"], body["stage"]) == (conversation_id, stage) and arrived(body):
                    return delivery
            time.sleep(0.5)
        raise AssertionError(f"no push of {stage} record {conversation_id} in {PUSH_WAIT_S:.0f}s; the case "
                             f"system said {self.case_system.outcomes}; msp pushes:\n{self.msp('pushes').stdout}")


def _settings(database: str, request: pytest.FixtureRequest, workdir: Path, case_system: CaseSystem,
              webhook: Any, mail: SmtpSink) -> Settings:
    push = {"record_push_url": case_system.url, "record_push_secret": SECRET,
            "record_push_include_words": False}
    if database == "sqlite":
        return e2e_settings(workdir, webhook, mail).copy(update=push)
    server = request.getfixturevalue("postgres_server")
    records = server.fresh_database("journeyrecords")
    tracker = server.fresh_database("journeytracker")
    production = production_settings(workdir, webhook, mail, records, tracker,
                                     request.getfixturevalue("redis_target"))
    return production.copy(update={**push, "rasa_instances": 1})


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.production)])
def journey(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp(f"journey-{request.param}")
    case_system = CaseSystem()
    with http_receiver() as webhook, smtp_sink() as mail:
        settings = _settings(request.param, request, workdir, case_system, webhook, mail)
        upgrade(settings.database_url)
        env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        services = start_services(settings, workdir)
        try:
            yield Journey(Live(services, env, webhook, mail), case_system, request.param)
        finally:
            services.stop()
            case_system.down()


def _assert_signed_and_wordless(delivery: Delivery) -> None:
    assert delivery.signature_ok(SECRET)
    assert delivery.headers.get("Idempotency-Key", "").startswith("msp-")
    body = delivery.json
    assert body["words_included"] is False and body["contract"] == 4
    text = delivery.body.decode("utf-8")
    assert not [w for w in OWN_WORDS if w in text], "the person's words reached the case system"
    assert all(o["own_words"] is None for o in body["outcomes"] + body["withdrawn_outcomes"])


def _review(journey: Journey) -> Conversation:
    """The review of REF, answered as the scenarios' reviews are; any wish it asks about is answered."""
    conversation = Conversation(journey.url, journey.token, f"journey-review-{journey.database}")
    run_scenario(conversation, {
        "name": "journey review",
        "start": _start("review", REF),
        "answers": {"consent_to_talk": "yes", "goals_met": "partly", "chance_to_say": "yes",
                    "listened_to": "yes", "acted_on_wishes": "yes", "feel_safe": "yes",
                    "happier": "yes a lot", "feedback_comments": "no"},
        "achieved": {"feel_safer": "yes", "be_involved": "kind of", "police_prosecute": "no"},
    })
    return conversation


def _asked_about(conversation: Conversation) -> List[str]:
    """The wishes the review asked "did it happen?" about: read back from the tracker's slot events."""
    events = conversation.tracker()["events"]
    return sorted({e["value"] for e in events
                   if e.get("event") == "slot" and e.get("name") == "current_outcome" and e.get("value")})


def test_three_stages_and_every_push(journey: Journey) -> None:
    # a. The outcomes conversation: one push, version 1, signed, keyed, without words.
    home = _outcomes_first(journey, REF, WISHES)
    first = journey.wait_for_push(home, "outcomes")
    assert first.json["version"] == 1 and first.json["status"] == "completed"
    _assert_signed_and_wordless(first)
    assert _codes(first.json["outcomes"]) == ["feel_safer", "police_prosecute"]
    assert len(journey.pushes_of(home, "outcomes")) == 1
    assert journey.queued(home) == [(1, c.PUSH_SENT)], "one version of the finished record, sent once"

    # b. A check-in takes "court" away and adds "keep me informed": the record comes again, newer.
    checkin = _check_in(journey, REF, {
        "checkin_still_wanted": ["I want to change something"],
        "desired_outcomes": ["I don't want him prosecuted any more", "I want to be kept informed",
                             "no that's all"],
        "feels_safe_now": ["yes"],
        "checkin_comment": [COMMENT],
    })
    again = journey.wait_for_push(home, "outcomes", lambda body: bool(body["checkins"]))
    body = again.json
    assert body["version"] > 1
    _assert_signed_and_wordless(again)
    assert again.headers["Idempotency-Key"] != first.headers["Idempotency-Key"]
    assert _codes(body["outcomes"]) == ["be_involved", "feel_safer"]
    assert _codes(body["withdrawn_outcomes"]) == ["police_prosecute"]
    [entry] = body["checkins"]
    assert entry["conversation_id"] == checkin.sender
    assert entry["added"] == ["be_involved"] and entry["withdrawn"] == ["police_prosecute"]
    assert entry["comment"] is None and entry["feels_safe_now"] == "yes"
    own = journey.wait_for_push(checkin.sender, "checkin")  # the check-in's own record goes too
    _assert_signed_and_wordless(own)
    assert own.json["version"] == 1 and own.json["status"] == "completed"
    versions = [b["version"] for b in journey.pushes_of(home, "outcomes")]
    assert versions == sorted(set(versions)), f"each version once, oldest first: {versions}"
    assert journey.case_system.inbox.records[(home, "outcomes")]["version"] == max(versions)

    # c. The review asks only about the wishes that stand, and its record is pushed too.
    review = _review(journey)
    assert _asked_about(review) == ["be_involved", "feel_safer"]
    pushed = journey.wait_for_push(review.sender, "review")
    _assert_signed_and_wordless(pushed)
    assert pushed.json["version"] == 1 and pushed.json["status"] == "completed"
    assert _codes(pushed.json["outcomes"]) == ["be_involved", "feel_safer"]
    assert not journey.case_system.refused, "the case system refused a push"

    transcript = journey.msp("transcript", checkin.sender).stdout
    print(f"\n--- check-in transcript ({journey.database}): msp transcript {checkin.sender}\n{transcript}")
    listing = journey.msp("pushes", "--enquiry", REF).stdout
    print(f"--- msp pushes --enquiry {REF} ({journey.database})\n{listing}")
