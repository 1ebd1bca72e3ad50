"""No silent loss, over HTTP with the real servers: a turn is answered and saved, or the person is told.

(i)   The tracker database stops taking writes (SQLite, held by another writer
      past the busy timeout) or reads mid-conversation: the person gets the
      503 "not_saved" (on the chat page: "Sorry, we could not save that",
      with 999 and the helplines), nothing of that message is in the tracker,
      and once the database is back the same message is answered and the
      conversation carries on, no turn lost or doubled.
(ii)  The action server is killed mid-conversation: the same, and once it is
      started again the conversation carries on at the same question.
(iii) A Rasa instance whose tracker store is not ours on TRACKER_STORE_URL
      (a class path that does not import, or another database) refuses to
      run: it exits non-zero with one clear line.

(i) uses the shared `live` servers (the database is let go again); (ii) and
(iii) stop or misconfigure processes, so they start their own.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import yaml
from sqlalchemy.engine import make_url

from bot.rasa_server.errors import EXIT_MISCONFIGURED
from bot.rasa_server.incoming import COULD_NOT_ANSWER, NOT_SAVED
from bot.rasa_server.tracker_store import SQLITE_BUSY_TIMEOUT_S
from bot.runner import MODEL_PATH, Services, tracker_store_endpoint
from bot.settings import PROJECT_ROOT, Settings
from bot.store.migrate import upgrade
from tests.alerts.receivers import free_port, http_receiver, smtp_sink
from tests.conversations.driver import Page, post_arguments
from tests.live import Live, e2e_settings, start_services

pytestmark = pytest.mark.e2e

NOT_SAVED_WORDS = "Sorry, we could not save that. Please send it again."
ASK_SAFE = "Do you feel safe right now?"
ASK_ADVOCATE = "Would you like someone to help you with this?"
ASK_WISHES = "What would you like to happen?"


def _errors(html: str) -> str:
    """The page's error area (the offline words always wait in a template further down)."""
    return html.split('id="offline-error"')[0]


def _invite(msp: Any, enquiry: str) -> str:
    return str(msp("invite", "--enquiry", enquiry, "--stage", "outcomes", "--role", "person").stdout)


# Reading the tracker as a practitioner's tool does -----------------------------------------------


def _events(rasa_url: str, token: str, sender: str) -> List[Dict[str, Any]]:
    got = requests.get(f"{rasa_url}/conversations/{sender}/tracker", timeout=60,
                       params={"token": token, "include_events": "ALL"})
    got.raise_for_status()
    return list(got.json()["events"])


def _said(events: List[Dict[str, Any]]) -> List[str]:
    return [str(e.get("text")) for e in events if e["event"] == "user"]


def _requested(rasa_url: str, token: str, sender: str) -> Optional[str]:
    got = requests.get(f"{rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=60)
    got.raise_for_status()
    return got.json()["slots"].get("requested_slot")


def _conversation_id(export: Any, enquiry: str) -> str:
    records = export(enquiry)
    assert len(records) == 1, records
    return str(records[0]["conversation_id"])


def _post(rasa_url: str, sender: str, text: str) -> requests.Response:
    """A person's words, signed as the web app sends them."""
    return requests.post(f"{rasa_url}/webhooks/rest/webhook", timeout=120,
                         **post_arguments(sender, text, None))


@contextmanager
def _database_held(path: Path, how: str) -> Iterator[None]:
    """Another connection holds the SQLite tracker database, longer than our busy timeout.

    IMMEDIATE: others may read but not write (Rasa's save fails). EXCLUSIVE:
    neither (Rasa's read fails; before, Rasa started a new conversation).
    """
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute(f"BEGIN {how}")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# (i) The tracker database away ---------------------------------------------------------------------


def test_a_turn_that_cannot_be_saved_is_said_and_can_be_sent_again(live: Live) -> None:
    enquiry = "NOSAVE-DB-1"
    page = Page(live.web_url, _invite(live.msp, enquiry))
    assert "Is it OK to talk about this now?" in page.html
    assert page.send("yes").status_code == 303 and ASK_SAFE in page.html
    cid = _conversation_id(live.export, enquiry)
    before = _events(live.url, live.token, cid)
    assert _requested(live.url, live.token, cid) == "feels_safe_now"

    tracker_db = Path(str(make_url(live.services.settings.tracker_store_url).database))
    with _database_held(tracker_db, "IMMEDIATE"):
        started = time.monotonic()
        failed = page.send("yes I am safe")
        waited = time.monotonic() - started
        # The page shows the chat so far: reading still works while writing does not.
        assert _events(live.url, live.token, cid) == before, "nothing of that message is stored"
    assert waited >= SQLITE_BUSY_TIMEOUT_S * 0.9, "Rasa's save waited for the database, then failed"
    assert failed.status_code == 503
    errors = _errors(page.html)
    assert NOT_SAVED_WORDS in errors and "999" in errors and "0808 2000 247" in errors
    assert "yes I am safe" in page.html, "the typed text stays in the box"
    assert ASK_SAFE in page.html

    # The database is back: the same message again is answered, and the conversation carries on.
    assert page.send("yes I am safe").status_code == 303
    assert ASK_ADVOCATE in page.html and NOT_SAVED_WORDS not in _errors(page.html)
    after = _events(live.url, live.token, cid)
    assert after[: len(before)] == before
    assert _said(after)[1:] == ["yes", "yes I am safe"], "one turn each: none lost, none doubled"
    assert _requested(live.url, live.token, cid) == "wants_advocate"
    assert page.send("no thanks").status_code == 303 and ASK_WISHES in page.html

    record = live.record(cid, "outcomes")
    assert record["answers"] == {"consent_to_talk": "yes", "feels_safe_now": "yes", "wants_advocate": "no"}
    assert record["enquiry_ref"] == enquiry and record["status"] == "in_progress"
    transcript = live.msp("transcript", cid).stdout
    assert transcript.count("yes I am safe") == 1


def test_a_conversation_that_cannot_be_read_is_not_started_afresh(live: Live) -> None:
    """Rasa's fail-safe store used to answer None, and Rasa began a new conversation over the old."""
    cid = "nosave-read-1"
    opened = requests.post(f"{live.url}/webhooks/rest/webhook", params={"token": live.token}, timeout=120,
                           json={"sender": cid, "message": '/start{"stage": "outcomes", '
                                 '"enquiry_ref": "NOSAVE-READ-1", "role": "person"}'})
    assert opened.status_code == 200
    assert _post(live.url, cid, "yes").status_code == 200
    before = _events(live.url, live.token, cid)

    tracker_db = Path(str(make_url(live.services.settings.tracker_store_url).database))
    with _database_held(tracker_db, "EXCLUSIVE"):
        failed = _post(live.url, cid, "yes")
    assert failed.status_code == 503
    assert failed.json() == {"error": COULD_NOT_ANSWER, "reason": NOT_SAVED}
    assert _events(live.url, live.token, cid) == before

    again = _post(live.url, cid, "yes")
    assert again.status_code == 200 and ASK_ADVOCATE in " ".join(r.get("text") or "" for r in again.json())
    after = _events(live.url, live.token, cid)
    assert after[: len(before)] == before and _said(after)[1:] == ["yes", "yes"]
    assert not [e for e in after if e["event"] in ("restart", "session_started")][1:], "no new conversation"


# (ii) The action server killed -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Services, Live]]:
    """Servers of this module's own, to stop and start again."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("no-silent-loss")
    with http_receiver() as webhook, smtp_sink() as mail:
        settings = e2e_settings(workdir, webhook, mail)
        upgrade(settings.database_url)
        env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(PROJECT_ROOT))
        services = start_services(settings, workdir)
        try:
            yield services, Live(services, env, webhook, mail)
        finally:
            services.stop()


def _kill(services: Services, name: str) -> None:
    process = services.process(name)
    assert process is not None and process.poll() is None, f"{name} is not running"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _start_again(services: Services, name: str, url: str, timeout: float = 120) -> None:
    services.respawn(name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{name} did not come back within {timeout:.0f}s")


def _at_the_safety_question(live: Live, enquiry: str) -> Tuple[Page, str, List[Dict[str, Any]]]:
    """A conversation opened from an invitation, consent given: its page, id and events so far."""
    page = Page(live.web_url, _invite(live.msp, enquiry))
    assert page.send("yes").status_code == 303 and ASK_SAFE in page.html
    cid = _conversation_id(live.export, enquiry)
    return page, cid, _events(live.url, live.token, cid)


def test_a_killed_action_server_is_said_and_the_conversation_carries_on(own: Tuple[Services, Live]) -> None:
    services, live = own
    page, cid, before = _at_the_safety_question(live, "NOSAVE-ACTIONS-1")

    _kill(services, "actions")
    failed = page.send("yes")
    assert failed.status_code == 503, "a kind answer, not a silent drop"
    errors = _errors(page.html)
    assert NOT_SAVED_WORDS in errors and "999" in errors and "0808 2000 247" in errors
    assert ASK_SAFE in page.html, "the question is still the one on the page"
    # The channel says which kind of failure, for any client.
    direct = _post(live.url, cid, "yes")
    assert direct.status_code == 503 and direct.json() == {"error": COULD_NOT_ANSWER, "reason": NOT_SAVED}
    assert _events(live.url, live.token, cid) == before, "nothing of either message is stored"

    _start_again(services, "actions", f"{services.actions_url}/health")
    assert page.send("yes").status_code == 303
    assert ASK_ADVOCATE in page.html, "carried on from the same question"
    after = _events(live.url, live.token, cid)
    assert after[: len(before)] == before and _said(after)[1:] == ["yes", "yes"]
    assert page.send("no").status_code == 303 and ASK_WISHES in page.html
    record = live.record(cid, "outcomes")
    assert record["answers"] == {"consent_to_talk": "yes", "feels_safe_now": "yes", "wants_advocate": "no"}

    log = (services.log_dir / "rasa.log").read_text() if services.log_dir else ""
    assert "nothing of a message from sender" in log and "ActionServerUnavailable" in log
    assert "Bot will continue" not in log


def test_a_hung_action_server_is_said_in_time_and_the_conversation_carries_on(
        own: Tuple[Services, Live]) -> None:
    """Stopped (SIGSTOP), not dead: Rasa gives up after ACTION_TIMEOUT_S, not its own 5 minutes."""
    services, live = own
    page, cid, before = _at_the_safety_question(live, "NOSAVE-HUNG-1")
    process = services.process("actions")
    assert process is not None and process.poll() is None
    assert services.settings.action_timeout_s < services.settings.lock_lifetime_s < services.settings.rasa_timeout_s
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        # Within the lock's lifetime, well before the chat page would give up (RASA_TIMEOUT_S).
        hung = requests.post(f"{live.url}/webhooks/rest/webhook", timeout=services.settings.lock_lifetime_s,
                             **post_arguments(cid, "yes", None, live.secret))
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    assert hung.status_code == 503 and hung.json() == {"error": COULD_NOT_ANSWER, "reason": NOT_SAVED}
    assert _events(live.url, live.token, cid) == before, "nothing of the message is stored"
    assert page.send("yes").status_code == 303 and ASK_ADVOCATE in page.html, "carried on from the same question"
    assert _said(_events(live.url, live.token, cid))[1:] == ["yes", "yes"]


def test_the_action_server_runs_without_tensorflow(own: Tuple[Services, Live]) -> None:
    services, _ = own
    process = services.process("actions")
    assert process is not None and process.poll() is None
    maps = Path(f"/proc/{process.pid}/maps").read_text()
    assert "tensorflow" not in maps and "jaxlib" not in maps
    rss_kb = int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{process.pid}/status").read_text()).group(1))
    sys.stderr.write(f"\naction server VmRSS after a conversation: {rss_kb / 1024:.0f} MB\n")
    rasa = services.process("rasa")
    assert rasa is not None and "tensorflow" in Path(f"/proc/{rasa.pid}/maps").read_text(), (
        "the Rasa server keeps TensorFlow (DIET needs it)")


# (iii) The start check -------------------------------------------------------------------------------


def _rasa_with(settings: Settings, endpoints: Dict[str, Any], workdir: Path, name: str) -> subprocess.Popen:
    path = workdir / f"{name}-endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints))
    log = open(workdir / f"{name}.log", "w")  # noqa: SIM115 (the child's)
    env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(PROJECT_ROOT), RASA_TELEMETRY_ENABLED="false",
               TF_CPP_MIN_LOG_LEVEL="2")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--enable-api", "--auth-token", "t",
             "--interface", "127.0.0.1", "--port", str(free_port()), "--model", str(MODEL_PATH),
             "--endpoints", str(path), "--credentials", str(PROJECT_ROOT / "credentials.yml")],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    finally:
        log.close()


def test_an_instance_without_our_tracker_store_refuses_to_run(tmp_path: Path) -> None:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does)")
    with http_receiver() as webhook, smtp_sink() as mail:
        settings = e2e_settings(tmp_path, webhook, mail)
    ours = tracker_store_endpoint(settings.tracker_store_url)
    cases = {
        # The class path does not import: Rasa falls back to InMemoryTrackerStore.
        "bad-class": (settings, {"tracker_store": {**ours, "type": "bot.rasa_server.tracker_store.NoSuchStore"}},
                      "Refusing to run: the tracker store in use is InMemoryTrackerStore"),
        # Ours, but on another database than TRACKER_STORE_URL says (whose password must not be shown).
        "other-db": (settings.copy(update={"tracker_store_url": "postgresql://msp:s3cret@127.0.0.1:1/conversations"}),
                     {"tracker_store": ours},
                     "Refusing to run: the tracker store uses sqlite:///"),
    }
    started = {name: _rasa_with(s, endpoints, tmp_path, name) for name, (s, endpoints, _) in cases.items()}
    try:
        for name, process in started.items():
            code = process.wait(timeout=300)
            log = (tmp_path / f"{name}.log").read_text()
            assert code == EXIT_MISCONFIGURED, f"{name}: exit {code}\n{log[-3000:]}"
            lines = [line for line in log.splitlines() if "Refusing to run" in line]
            assert len(lines) == 1 and cases[name][2] in lines[0], f"{name}:\n{log[-3000:]}"
            assert "CRITICAL" in lines[0]
            assert "s3cret" not in log
            assert "Rasa server is up and running" in log, "the check ran once the agent was loaded"
    finally:
        for process in started.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

