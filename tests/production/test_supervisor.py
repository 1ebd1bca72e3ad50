"""`msp serve` itself, as `make run` and systemd run it, on the production path.

One test, in the order things happen on a server: a Rasa instance dies and
`msp serve` starts it again while the other answers; then `msp serve` is
killed with SIGKILL (no chance to clean up), and within 10 seconds nothing
answers on any of its ports and none of its processes is left (Linux kills
each child with its parent: PR_SET_PDEATHSIG); then it starts again on the
same ports, with the dead run's pid file still there, the conversation goes
on where it was, and Ctrl-C stops it all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.runner import listening
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings
from tests.alerts.receivers import http_receiver, smtp_sink
from tests.conftest import RedisTarget
from tests.production.conftest import production_settings
from tests.production.driver import Resilient, user_texts

pytestmark = [pytest.mark.e2e, pytest.mark.production]

READY_S = 300.0
GONE_WITHIN_S = 10.0


class Serve:
    """One `msp serve` process and what it wrote."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(PROJECT_ROOT))
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"], cwd=PROJECT_ROOT, env=env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,  # so this test alone can clear it up
            )

    @property
    def pid_file(self) -> Path:
        return VAR_DIR / f"serve-{self.settings.rasa_port}.pids"

    def children(self) -> Dict[str, int]:
        try:
            data = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return {}
        return {entry[2]: int(entry[0]) for entry in data["children"]}

    def ports(self) -> List[int]:
        k = range(self.settings.rasa_instances)
        return ([self.settings.rasa_port + i for i in k] + [self.settings.actions_port + i for i in k]
                + [self.settings.web_port])

    def wait_running(self) -> None:
        deadline = time.monotonic() + READY_S
        while "The assistant is running." not in self.log.read_text():
            assert self.process.poll() is None, f"msp serve stopped:\n{self.log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"msp serve not ready:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _in_groups(groups: List[int]) -> List[str]:
    """Every live process in those process groups (a child's group holds anything it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups and fields[0] not in ("Z", "X"):
            found.append(f"{entry.name}: {(entry / 'cmdline').read_bytes()[:120]!r}")
    return found


def _clear_up(serves: List[Serve]) -> None:
    """Whatever this test started, gone, even when it failed half way."""
    for serve in serves:
        groups = [serve.process.pid] + list(serve.children().values())
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        serve.process.wait(timeout=30)
        serve.pid_file.unlink(missing_ok=True)


@pytest.fixture
def settings(tmp_path: Path, production_databases: tuple,  # type: ignore[type-arg]
             redis_target: RedisTarget) -> Iterator[Settings]:
    records, tracker = production_databases
    with http_receiver() as webhook, smtp_sink() as mail:
        yield production_settings(tmp_path, webhook, mail, records, tracker, redis_target)


def test_msp_serve_restarts_a_dead_instance_and_takes_every_part_with_it_when_killed(
        settings: Settings, tmp_path: Path) -> None:
    serves: List[Serve] = []
    try:
        first = Serve(settings, tmp_path / "serve-1.log")
        serves.append(first)
        first.wait_running()
        children = first.children()
        assert sorted(children) == ["actions-0", "actions-1", "rasa-0", "rasa-1", "sender", "web"]
        chat = Resilient(settings.rasa_urls[0], settings.rasa_auth_token, f"prod-serve-{int(time.time())}",
                         urls=settings.rasa_urls, patience_s=120)
        chat.say('/start{"stage": "outcomes", "enquiry_ref": "PROD-SERVE", "role": "person"}')

        # A Rasa instance dies: the other answers meanwhile, and msp serve starts it again.
        os.kill(children["rasa-1"], signal.SIGKILL)
        chat.say("yes")
        deadline = time.monotonic() + READY_S
        while first.children().get("rasa-1") in (None, children["rasa-1"]) or not listening(
                settings.rasa_port + 1):
            assert time.monotonic() < deadline, "msp serve did not start rasa-1 again"
            time.sleep(0.5)
        assert "The rasa-1 process stopped (exit -9); starting it again." in first.log.read_text()
        assert first.process.poll() is None

        # msp serve is killed outright: every part goes with it, and quickly.
        children = first.children()
        os.kill(first.process.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.process.wait(timeout=10)
        while any(listening(p) for p in first.ports()) or _in_groups(list(children.values())):
            assert time.monotonic() - killed < GONE_WITHIN_S, (
                f"still there {GONE_WITHIN_S:.0f}s after kill -9 of msp serve: ports "
                f"{[p for p in first.ports() if listening(p)]}, processes {_in_groups(list(children.values()))}")
            time.sleep(0.1)
        gone = time.monotonic() - killed
        sys.stderr.write(f"\nkill -9 of msp serve: every port free and every child gone in {gone:.2f}s\n")
        assert first.pid_file.exists(), "the killed run's pid file is left behind (the next start clears it)"

        # `make run` again on the same ports: it starts cleanly and the conversation goes on.
        second = Serve(settings, tmp_path / "serve-2.log")
        serves.append(second)
        second.wait_running()
        chat.say("yes")
        assert chat.requested() == "wants_advocate"
        assert user_texts(chat.events()) == chat.sent

        # Ctrl-C stops it all, cleanly.
        children = second.children()
        assert len(children) == 6
        second.process.send_signal(signal.SIGINT)
        assert second.process.wait(timeout=60) == 0
        assert not [p for p in second.ports() if listening(p)]
        assert not _in_groups(list(children.values()))
        assert not second.pid_file.exists()
    finally:
        _clear_up(serves)
