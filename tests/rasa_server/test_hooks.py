"""The hooks into Rasa (bot/rasa_server/hooks.py), against Rasa's own classes: no model, no servers.

A stand-in action server (http.server in a thread) answers as a real one can
fail: refused, 500, too slow, a reply Rasa cannot read, or a form's 400.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, List

import pytest
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import hooks as rasa_hooks
from bot.rasa_server.errors import EXIT_MISCONFIGURED, ActionServerUnavailable, TrackerStoreUnavailable
from bot.rasa_server.tracker_store import (
    StrictSQLTrackerStore,
    refuse_unless_our_tracker_store,
    tracker_store_problem,
)
from tests.alerts.receivers import free_port

DOMAIN = Domain.empty()
SECRET_WORDS = "my son takes my pension"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_the_hooks_are_installed_once_however_often_imported() -> None:
    import bot.rasa_server.channel  # noqa: F401
    import bot.rasa_server.tracker_store  # noqa: F401

    assert rasa_hooks.installed()
    before = (RemoteAction.run, MessageProcessor._run_action, FailSafeTrackerStore.on_tracker_store_error)
    rasa_hooks.install()
    rasa_hooks.install()
    after = (RemoteAction.run, MessageProcessor._run_action, FailSafeTrackerStore.on_tracker_store_error)
    assert after == before
    # Each wrapper wraps Rasa's own function, not another wrapper.
    assert not hasattr(RemoteAction.run._msp_wraps, "_msp_wraps")


# a. A failed save or read is not swallowed -----------------------------------------------------


@pytest.fixture
def broken_store(tmp_path: Path) -> Iterator[StrictSQLTrackerStore]:
    """Our store, its database gone from under it."""
    path = tmp_path / "tracker.db"
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    path.unlink()
    path.mkdir()
    yield store
    store.engine.dispose()


def test_failsafe_lets_our_failures_through(broken_store: StrictSQLTrackerStore) -> None:
    """As the agent wraps it (rasa/core/agent.py `_create_tracker_store`)."""
    store = FailSafeTrackerStore(broken_store)
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(SECRET_WORDS)])
    with pytest.raises(TrackerStoreUnavailable, match="could not save"):
        run(store.save(tracker))
    assert store._fallback_tracker_store is None, "nothing was kept in memory instead"
    for reading in (store.retrieve("s1"), store.retrieve_full_tracker("s1"), store.keys(),
                    store.get_or_create_tracker("s1"), store.exists("s1")):
        with pytest.raises(TrackerStoreUnavailable):
            run(reading)  # never None, so never a new conversation started quietly


def test_failsafe_keeps_rasas_handling_for_other_stores(caplog: pytest.LogCaptureFixture) -> None:
    class Flaky(InMemoryTrackerStore):
        async def save(self, tracker: DialogueStateTracker) -> None:
            raise RuntimeError("not ours")

        async def retrieve(self, sender_id: str) -> Any:
            raise RuntimeError("not ours")

    store = FailSafeTrackerStore(Flaky(DOMAIN))
    run(store.save(DialogueStateTracker.from_events("s1", [])))  # falls back, as Rasa does
    assert store._fallback_tracker_store is not None
    assert run(store.retrieve("s1")) is None


# b. A custom action that cannot be run is not dropped -------------------------------------------


class _StandInActions(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.path.strip("/")
        if mode == "slow":
            time.sleep(3)
        status, body = {
            "ok": (200, {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []}),
            "reject": (400, {"action_name": "validate_outcomes_form", "error": "not this one"}),
            "broken": (500, {"error": "boom"}),
            "garbled": (200, {"events": "not a list"}),
            "slow": (200, {"events": [], "responses": []}),
        }[mode]
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # "slow": Rasa stopped waiting, as it should

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture(scope="module")
def actions_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _StandInActions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _remote(url: str) -> RemoteAction:
    return RemoteAction("validate_outcomes_form", EndpointConfig(url=url))


async def _run_remote(action: RemoteAction) -> List[Any]:
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(SECRET_WORDS)])
    return await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, DOMAIN)


@pytest.fixture
def quick_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", 1)


@pytest.mark.parametrize("mode", ["refused", "broken", "garbled", "slow"])
def test_an_action_that_cannot_be_run_raises_ours(actions_url: str, mode: str, quick_timeout: None) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook" if mode == "refused" else f"{actions_url}/{mode}"
    with pytest.raises(ActionServerUnavailable, match="validate_outcomes_form") as failed:
        run(_run_remote(_remote(url)))
    assert not isinstance(failed.value, rasa_action.RasaException), "no `except RasaException` may catch it"
    assert SECRET_WORDS not in str(failed.value)


def test_a_form_rejecting_is_still_rasas_rejection(actions_url: str) -> None:
    with pytest.raises(ActionExecutionRejection):
        run(_run_remote(_remote(f"{actions_url}/reject")))


def test_an_action_that_runs_is_untouched(actions_url: str) -> None:
    events = run(_run_remote(_remote(f"{actions_url}/ok")))
    assert [e.as_dict()["event"] for e in events] == ["slot"]


def _processor() -> MessageProcessor:
    """Just what `_run_action` uses of a MessageProcessor."""
    processor = object.__new__(MessageProcessor)
    processor.domain = DOMAIN
    return processor


async def _run_action(processor: MessageProcessor, action: RemoteAction,
                      tracker: DialogueStateTracker) -> bool:
    return await processor._run_action(  # type: ignore[no-any-return]
        action, tracker, CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
        PolicyPrediction([], "RulePolicy"),
    )


def test_rasa_no_longer_carries_on_without_the_actions_events(caplog: pytest.LogCaptureFixture) -> None:
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(SECRET_WORDS)])
    before = list(tracker.events)
    action = _remote(f"http://127.0.0.1:{free_port()}/webhook")
    with caplog.at_level(logging.ERROR), pytest.raises(ActionServerUnavailable):
        run(_run_action(_processor(), action, tracker))
    assert list(tracker.events) == before, "nothing logged on the tracker for the failed action"
    assert "Bot will continue" not in caplog.text


def test_rasa_still_handles_a_rejection_inside_run_action(actions_url: str) -> None:
    tracker = DialogueStateTracker.from_events("s1", [UserUttered(SECRET_WORDS)])
    carry_on = run(_run_action(_processor(), _remote(f"{actions_url}/reject"), tracker))
    assert carry_on is True
    assert isinstance(tracker.events[-1], ActionExecutionRejected)


# c. The start check --------------------------------------------------------------------------------


@pytest.fixture
def our_store(tmp_path: Path) -> Iterator[StrictSQLTrackerStore]:
    store = StrictSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    yield store
    store.engine.dispose()


def test_the_start_check_accepts_our_store_on_the_configured_database(
    our_store: StrictSQLTrackerStore, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert tracker_store_problem(FailSafeTrackerStore(our_store), url) is None
    assert tracker_store_problem(FailSafeTrackerStore(AwaitableTrackerStore(our_store)), url) is None


def test_the_start_check_refuses_rasas_in_memory_fallback(tmp_path: Path) -> None:
    """What Rasa builds when the class in the endpoints file cannot be imported."""
    problem = tracker_store_problem(FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN)),
                                    f"sqlite:///{tmp_path / 'tracker.db'}")
    assert problem is not None and "InMemoryTrackerStore" in problem and "StrictSQLTrackerStore" in problem
    assert "no agent" in str(tracker_store_problem(None, "sqlite:///x.db"))


def test_the_start_check_refuses_another_database(our_store: StrictSQLTrackerStore) -> None:
    problem = tracker_store_problem(FailSafeTrackerStore(our_store), "postgresql://msp:s3cret@db.example/conv")
    assert problem is not None and "TRACKER_STORE_URL" in problem
    assert "s3cret" not in problem and "db.example" in problem


def test_the_listener_stops_the_instance_with_a_clear_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://msp:s3cret@db.example/conv")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(
        tracker_store=FailSafeTrackerStore(InMemoryTrackerStore(DOMAIN)))))
    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit) as stopped:
        run(refuse_unless_our_tracker_store(app, None))
    assert stopped.value.code == EXIT_MISCONFIGURED != 0
    line = [r for r in caplog.records if r.levelno == logging.CRITICAL][0].getMessage()
    assert line.startswith("Refusing to run: the tracker store in use is InMemoryTrackerStore")
    assert "s3cret" not in caplog.text


def test_the_listener_lets_a_well_configured_instance_run(
    monkeypatch: pytest.MonkeyPatch, our_store: StrictSQLTrackerStore, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(
        tracker_store=FailSafeTrackerStore(our_store))))
    run(refuse_unless_our_tracker_store(app, None))


# d. No local variables in Rasa's tracebacks ---------------------------------------------------------

LOG_A_FAILURE = """
import logging, sys
terminal, hooked = sys.argv[1] == "terminal", sys.argv[2] == "hooked"
if terminal:
    sys.stderr.isatty = lambda: True  # as when Rasa runs in a terminal: the Rich console renderer
from rasa.utils import log_utils
if hooked:
    import bot.rasa_server.hooks  # noqa: F401 (Rasa imports it with our channel, after configuring its logs)
log_utils.configure_structlog(logging.INFO)
import structlog

def handle(message):
    said = message.lower()
    raise ValueError("could not handle it")

try:
    handle("He locks me in the SHED at night")
except ValueError:
    structlog.get_logger().exception("processor.failure")
"""


@pytest.mark.parametrize("where", ["terminal", "no-terminal"])
def test_rasas_tracebacks_show_no_local_variables(where: str) -> None:
    import subprocess
    import sys

    def logged(hooked: str) -> str:
        done = subprocess.run([sys.executable, "-c", LOG_A_FAILURE, where, hooked], capture_output=True,
                              text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout + done.stderr

    if where == "no-terminal":  # in a terminal, locals show only when Rich is installed (it is not, here)
        plain = logged("plain")
        assert "could not handle it" in plain and "shed" in plain.lower(), \
            "without the hook, Rasa's structlog prints the frame's locals (what this test guards against)"
    hooked = logged("hooked")
    assert "could not handle it" in hooked and "ValueError" in hooked, "the traceback itself is kept"
    assert "shed" not in hooked.lower()


# e. An action server's answer is validated against a schema checked once ------------------------


def _answers() -> List[Any]:
    """Answers an action server might give: well formed, and broken in several ways."""
    return [
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
        {"events": [{"event": "active_loop", "name": "outcomes_form"}, {"event": "followup", "name": "a"}]},
        {"events": "not a list"},
        {"events": [{"name": "no event type"}]},
        {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "not a number"}]},
        {"events": [{"event": "no such event"}]},
        {"responses": ["not an object"]},
    ]


def test_answers_are_judged_as_rasas_own_validation_judges_them() -> None:
    import jsonschema

    action = _remote("http://127.0.0.1:1/webhook")
    original = RemoteAction._validate_action_result._msp_wraps  # Rasa's own function
    verdicts = set()
    for answer in _answers():
        try:
            theirs: Any = original(action, answer)
        except jsonschema.ValidationError as error:
            theirs = ("invalid", error.message)
        try:
            ours: Any = action._validate_action_result(answer)
        except jsonschema.ValidationError as error:
            ours = ("invalid", error.message)
        assert ours == theirs, answer
        verdicts.add(ours is True)
    assert verdicts == {True, False}, "both well-formed and broken answers were tried"


def test_the_schema_is_checked_once_not_on_every_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema.validators

    rasa_hooks._response_validators.clear()
    checks: List[Any] = []
    real = jsonschema.validators.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema: checks.append(schema) or real(schema)))
    action = _remote("http://127.0.0.1:1/webhook")
    for _ in range(5):
        assert action._validate_action_result({"events": [], "responses": []})
    assert len(checks) == 1
