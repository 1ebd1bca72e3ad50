"""Whole conversations against several Rasa instances, with no turn lost or doubled whatever fails.

`Resilient` is the end-to-end driver's `Conversation` (tests/conversations/
driver.py, so `run_scenario` plays it unchanged) with two differences:

- each message, and each read of the tracker, goes to a random instance;
- a message that did not get a 200 is sent again until it does, but never
  twice: after a lost connection or an error answer the driver reads the
  conversation back (from any instance) and counts the person's messages.
  One more than it has sent, ending with this text: it landed, carry on. The
  same number: it did not, send it again. Anything else is a lost, doubled or
  misplaced turn, and fails the test at once.

It also holds Rasa to the contract's word: an answer of 503 with
`"reason": "not_saved"` must mean the turn is not in the conversation.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests
import yaml

from bot.settings import PROJECT_ROOT
from bot.web.rasa_client import _never_arrived
from tests.conversations.driver import Conversation, compare, post_arguments, run_scenario

SAMPLES = PROJECT_ROOT.parent / "shared" / "samples" / "scenarios.json"
OWN = PROJECT_ROOT / "tests" / "conversations" / "scenarios.yml"


class Progress:
    """Turns delivered so far, over every conversation: a fault is set off after so many."""

    def __init__(self) -> None:
        self.turns = 0
        self._changed = threading.Condition()

    def tick(self) -> None:
        with self._changed:
            self.turns += 1
            self._changed.notify_all()

    def wait_for(self, turns: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.turns >= turns, timeout=timeout)


@dataclass
class Resilient(Conversation):
    urls: List[str] = field(default_factory=list)
    patience_s: float = 120.0  # how long one message may take to get through, faults and all
    progress: Optional[Progress] = None
    sent: List[str] = field(default_factory=list)  # what is in the conversation, in order
    incidents: List[str] = field(default_factory=list)  # what went wrong on the way, for the report
    served_by: List[str] = field(default_factory=list)  # the instance that answered each delivered turn
    seconds: List[float] = field(default_factory=list)  # how long each answered turn took

    def _pick(self) -> str:
        return random.choice(self.urls)  # noqa: S311 (spreading turns, not security)

    def say(self, text: str, trusted: Optional[bool] = None) -> List[Dict[str, Any]]:
        if trusted is None:
            trusted = text.lstrip().startswith("/")
        deadline = time.monotonic() + self.patience_s
        while True:
            base = self._pick()
            began = time.monotonic()
            try:
                response = requests.post(  # the token with a "/" message, else signed (words)
                    f"{base}/webhooks/rest/webhook", timeout=60,
                    **post_arguments(self.sender, text, self.token if trusted else None, self.secret),
                )
            except requests.RequestException as exc:
                if _never_arrived(exc):
                    self.incidents.append(f"refused by {base}")
                    self._pause(deadline, text, 0.2)
                    continue
                self.incidents.append(f"{type(exc).__name__} ({_cause(exc)}) from {base}")
                if self._landed(text, deadline):
                    return self._delivered(text, base, [])
                self._pause(deadline, text)
                continue
            if response.status_code == 200:
                self.seconds.append(time.monotonic() - began)
                return self._delivered(text, base, response.json())
            reason = _reason(response)
            self.incidents.append(f"HTTP {response.status_code} {reason or ''} from {base}".strip())
            landed = self._landed(text, deadline)
            assert not (landed and reason == "not_saved"), (
                f"{self.sender}: Rasa answered not_saved, but {text!r} is in the conversation")
            if landed:
                return self._delivered(text, base, [])
            self._pause(deadline, text)

    def _delivered(self, text: str, base: str, replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        self.sent.append(text)
        self.served_by.append(base)
        self.replies.extend(replies)
        if self.progress is not None:
            self.progress.tick()
        return replies

    def _pause(self, deadline: float, text: str, seconds: float = 0.5) -> None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{self.sender}: {text!r} not delivered in {self.patience_s:.0f}s; "
                                 f"incidents: {self.incidents[-10:]}")
        time.sleep(seconds)

    def _landed(self, text: str, deadline: float) -> bool:
        """Whether the message that failed is in the conversation after all (see the module's doc)."""
        said = user_texts(self.events(deadline))
        if said == self.sent + [text]:
            return True
        if said == self.sent:
            return False
        raise AssertionError(f"{self.sender}: the conversation holds {said}, but the driver sent "
                             f"{self.sent} and then {text!r}")

    def _get(self, path: str, params: Dict[str, str], deadline: Optional[float] = None) -> Dict[str, Any]:
        deadline = deadline or time.monotonic() + self.patience_s
        while True:
            base = self._pick()
            try:
                response = requests.get(f"{base}{path}", params=params, timeout=60)
                if response.status_code == 200:
                    return dict(response.json())
                self.incidents.append(f"tracker read: HTTP {response.status_code} from {base}")
            except requests.RequestException as exc:
                self.incidents.append(f"tracker read: {type(exc).__name__} from {base}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.sender}: could not read the conversation back; "
                                     f"incidents: {self.incidents[-10:]}")
            time.sleep(0.5)

    def tracker(self) -> Dict[str, Any]:
        return self._get(f"/conversations/{self.sender}/tracker", {"token": self.token})

    def events(self, deadline: Optional[float] = None) -> List[Dict[str, Any]]:
        tracker = self._get(f"/conversations/{self.sender}/tracker",
                            {"token": self.token, "include_events": "ALL"}, deadline)
        return list(tracker.get("events") or [])


def _cause(exc: BaseException) -> str:
    """The innermost cause's type: ConnectionResetError, RemoteDisconnected, ReadTimeoutError..."""
    seen = exc
    while True:
        inner = seen.__context__ or seen.__cause__ or (seen.args[0] if seen.args and isinstance(
            seen.args[0], BaseException) else None)
        inner = getattr(inner, "reason", inner) if inner is not None else None
        if not isinstance(inner, BaseException) or inner is seen:
            return type(seen).__name__
        seen = inner


def _reason(response: requests.Response) -> Optional[str]:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("reason")) if isinstance(body, dict) and body.get("reason") else None


def user_texts(events: List[Dict[str, Any]]) -> List[str]:
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


def outcome_scenarios() -> List[Dict[str, Any]]:
    """Every outcomes-stage scenario (the shared samples', then ours): none depends on another."""
    scenarios: List[Dict[str, Any]] = json.loads(SAMPLES.read_text()) if SAMPLES.exists() else []
    scenarios += yaml.safe_load(Path(OWN).read_text())["scenarios"]
    return [s for s in scenarios if '"review"' not in s["start"]]


def _own_enquiry(scenario: Dict[str, Any], ref: str) -> Dict[str, Any]:
    """The scenario with an enquiry reference of this conversation's own."""
    copy = dict(scenario)
    copy["start"] = re.sub(r'("enquiry_ref":\s*")[^"]*(")', rf"\g<1>{ref}\g<2>", scenario["start"])
    return copy


@dataclass
class Played:
    conversation: Resilient
    scenario: Dict[str, Any]


def play(urls: Callable[[], List[str]], token: str, count: int, label: str,
         fault: Optional[Callable[[], None]] = None, fault_after_turns: int = 0,
         patience_s: float = 120.0, workers: Optional[int] = None) -> List[Played]:
    """`count` whole outcomes conversations at once (the scenarios in turn), each in its own thread.

    With `fault`, the calling (main) thread sets it off once `fault_after_turns`
    turns have been delivered over all conversations, while they carry on.
    """
    run = uuid.uuid4().hex[:6]
    scenarios = outcome_scenarios()
    progress = Progress()
    played = []
    for i in range(count):
        scenario = _own_enquiry(scenarios[i % len(scenarios)], f"PROD-{label}-{run}-{i:02d}")
        conversation = Resilient(urls()[0], token, f"prod-{label}-{run}-{i:02d}", urls=urls(),
                                 patience_s=patience_s, progress=progress)
        played.append(Played(conversation, scenario))
    with ThreadPoolExecutor(max_workers=workers or count) as pool:
        futures = [pool.submit(run_scenario, p.conversation, p.scenario) for p in played]
        try:
            if fault is not None:
                if not progress.wait_for(fault_after_turns, timeout=patience_s):
                    raise AssertionError(f"only {progress.turns} turns in {patience_s:.0f}s before the fault")
                fault()
        finally:
            errors = []
            for p, future in zip(played, futures, strict=True):
                try:
                    future.result()
                except AssertionError as exc:
                    errors.append(f"{p.scenario['name']} ({p.conversation.sender}): {exc}")
    assert not errors, "\n".join(errors)
    return played


def problems(played: List[Played], records: List[Dict[str, Any]]) -> List[str]:
    """Every conversation exactly as sent (tracker), every record as the scenario expects (export)."""
    by_id: Dict[Tuple[str, str], Dict[str, Any]] = {(r["conversation_id"], r["stage"]): r for r in records}
    found = []
    for p in played:
        conversation = p.conversation
        said = user_texts(conversation.events())
        if said != conversation.sent:
            found.append(f"{conversation.sender}: tracker holds {said}, sent {conversation.sent}")
        record = by_id.get((conversation.sender, "outcomes"))
        if record is None:
            found.append(f"{conversation.sender}: no record")
            continue
        for problem in compare(record, p.scenario.get("expect") or {}):
            found.append(f"{p.scenario['name']} ({conversation.sender}): {problem}")
    return found
