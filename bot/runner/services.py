"""The children of `msp serve` for one configuration: start them, wait until they answer, start
again one that dies, stop them together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

# A child that refuses to run as configured (EXIT_MISCONFIGURED, sysexits' EX_CONFIG):
# starting it again cannot help, so `supervise` gives up at once.
from bot.rasa_server.errors import EXIT_MISCONFIGURED
from bot.runner.endpoints import production_problems, write_endpoints
from bot.runner.process import (
    _child_env,
    _cmdline,
    _fetch,
    _stop_group,
    listening,
    reap_stale,
    signal_group,
    start_child,
    wait_or_kill,
)
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings

MODEL_PATH = PROJECT_ROOT / "models" / "msp.tar.gz"
READY_TIMEOUT_S = 240.0


@dataclass
class Services:
    """The children of `msp serve`: N Rasa instances, N action servers, the sender, the web app.

    Instance k (from 0) is Rasa on RASA_PORT+k, whose endpoints file points at
    its own action server on ACTIONS_PORT+k. With one instance the children are
    named "rasa" and "actions"; with more, "rasa-0", "actions-0", "rasa-1"...
    """

    settings: Settings
    model: Path = MODEL_PATH
    endpoints: Path = VAR_DIR / "endpoints.yml"
    log_dir: Optional[Path] = None
    processes: List[subprocess.Popen] = field(default_factory=list)
    # pid -> "actions" / "rasa" / "sender", so a message can say which one stopped.
    names: Dict[int, str] = field(default_factory=dict)
    with_web: bool = True
    # Where the children's pids are written while they run (None: nowhere), so the next
    # start can clear up after a crash of this supervisor.
    pid_file: Optional[Path] = None
    # name -> the command that starts it, so one child can be started again alone.
    commands: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_urls[0]

    @property
    def rasa_urls(self) -> List[str]:
        return self.settings.rasa_urls

    @property
    def actions_url(self) -> str:
        return self.settings.actions_urls[0]

    @property
    def actions_urls(self) -> List[str]:
        return self.settings.actions_urls

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def instance_name(self, kind: str, k: int) -> str:
        """"rasa" / "actions" alone; "rasa-k" / "actions-k" when there are several instances."""
        return kind if self.settings.rasa_instances == 1 else f"{kind}-{k}"

    def endpoints_path(self, k: int) -> Path:
        if self.settings.rasa_instances == 1:
            return self.endpoints
        return self.endpoints.with_name(f"{self.endpoints.stem}-{k}{self.endpoints.suffix}")

    def ports(self) -> Dict[str, int]:
        """Every port the children listen on, by child."""
        ports = {}
        for k in range(self.settings.rasa_instances):
            ports[self.instance_name("rasa", k)] = self.settings.rasa_port + k
            ports[self.instance_name("actions", k)] = self.settings.actions_port + k
        if self.with_web:
            ports["web"] = self.settings.web_port
        return ports

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log" if self.log_dir is not None else None
        process = start_child(args, _child_env(self.settings), log)
        self.processes.append(process)
        self.names[process.pid] = name
        self.commands[name] = list(args)
        self._write_pid_file()
        return process

    def _write_pid_file(self) -> None:
        if self.pid_file is None:
            return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "supervisor": os.getpid(),
            "argv": _cmdline(os.getpid()),
            "children": [[p.pid, p.args, self.names.get(p.pid)] for p in self.processes
                         if isinstance(p.args, list) and p.poll() is None],
        }
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(self.pid_file)

    def name_of(self, process: subprocess.Popen) -> str:
        return self.names.get(process.pid, "a process")

    def process(self, name: str) -> Optional[subprocess.Popen]:
        """The running (or last) child of that name."""
        return next((p for p in reversed(self.processes) if self.names.get(p.pid) == name), None)

    def _rasa_command(self, k: int) -> List[str]:
        return [sys.executable, "-m", "rasa", "run", "--enable-api",
                "--auth-token", self.settings.rasa_auth_token,
                "--interface", "127.0.0.1", "--port", str(self.settings.rasa_port + k),
                "--model", str(self.model), "--endpoints", str(self.endpoints_path(k)),
                "--credentials", str(PROJECT_ROOT / "credentials.yml")]

    def _actions_command(self, k: int) -> List[str]:
        # rasa_sdk's server, answering only Rasa's bearer token (bot/actions_server.py).
        return [sys.executable, "-m", "bot.actions_server", "--actions", "bot.actions",
                "--port", str(self.settings.actions_port + k)]

    def start(self) -> None:
        if not self.model.exists():
            raise SystemExit(f"No trained model at {self.model}. Run `make train` first.")
        problems = production_problems(self.settings)
        if not self.settings.web_channel_secret:
            # Each Rasa instance would refuse to start without it (bot/rasa_server/channel.py): say so now.
            problems.append("WEB_CHANNEL_SECRET is not set: run `msp setup` (make run does) or set it.")
        if problems:
            raise RuntimeError(" ".join(problems))
        if self.pid_file is not None:
            reap_stale(self.pid_file)
        self._check_ports_free()
        for k in range(self.settings.rasa_instances):
            write_endpoints(self.settings, self.endpoints_path(k), k)
        for k in range(self.settings.rasa_instances):
            self._spawn(self.instance_name("actions", k), self._actions_command(k))
        for k in range(self.settings.rasa_instances):
            self._spawn(self.instance_name("rasa", k), self._rasa_command(k))
        # The duty alert sender: delivers what the action servers write to the outbox.
        self._spawn("sender", [sys.executable, "-m", "bot.alerts.sender"])
        if self.with_web:
            # The web app: the chat page, the only part meant to face people.
            self._spawn("web", [sys.executable, "-m", "bot.web.serve"])

    def _check_ports_free(self, wait_s: float = 5.0) -> None:
        """Fail at once, naming the port, rather than after Rasa has spent a minute loading."""
        deadline = time.monotonic() + wait_s  # a group just stopped may take a moment to let go
        while True:
            busy = [f"{name} {port}" for name, port in self.ports().items() if listening(port)]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"something already listens on 127.0.0.1 port(s) {', '.join(busy)}: another "
                    "`msp serve`? Stop it, or choose other ports (RASA_PORT, ACTIONS_PORT, WEB_PORT)."
                )
            time.sleep(0.25)

    def respawn(self, name: str) -> subprocess.Popen:
        """Start that child again (its old process, if still running, is stopped first)."""
        old = self.process(name)
        if old is not None:
            if old.poll() is None:
                _stop_group(old, grace=10.0)
            self.processes.remove(old)
            self.names.pop(old.pid, None)
        return self._spawn(name, self.commands[name])

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Every server answers, each Rasa has loaded the model, and no process (the sender too) has died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    name = self.name_of(process)
                    self.stop()
                    raise RuntimeError(f"{name} stopped while starting (exit {process.returncode})")
            if self.ready():
                return
            time.sleep(1.0)
        self.stop()
        raise RuntimeError(f"servers not ready after {timeout:.0f}s")

    def ready(self, names: Optional[List[str]] = None) -> bool:
        """The named children (all by default) answer; a Rasa instance once its model is loaded."""
        for k in range(self.settings.rasa_instances):
            rasa, actions = self.instance_name("rasa", k), self.instance_name("actions", k)
            if names is None or actions in names:
                if _fetch(f"{self.actions_urls[k]}/health") is None:
                    return False
            if names is None or rasa in names:
                status = _fetch(f"{self.rasa_urls[k]}/status?token={self.settings.rasa_auth_token}")
                if b"model_file" not in (status or b""):
                    return False
        if self.with_web and (names is None or "web" in names):
            return _fetch(f"{self.web_url}/healthz") is not None
        return True

    def stop(self, grace: float = 15.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace  # one grace for all: they stop side by side
        for process in self.processes:
            wait_or_kill(process, max(0.1, deadline - time.monotonic()))
        self.processes.clear()
        self.names.clear()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def supervise(self, restarts: int = 5, window_s: float = 600.0,
                  report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
                  ) -> Tuple[str, int]:
        """Start again any child that dies; the others carry on meanwhile.

        A child that has died more than `restarts` times within `window_s` is
        failing, not crashing, and one that refuses its configuration (exit 78)
        will not do better next time: give up and return its name and last exit
        code (`msp serve` then stops everything and exits 1, for the person who started it).
        """
        deaths: Dict[str, List[float]] = {}
        while True:
            for process in list(self.processes):
                code = process.poll()
                if code is None:
                    continue
                name = self.name_of(process)
                now = time.monotonic()
                deaths[name] = [t for t in deaths.get(name, []) if now - t < window_s] + [now]
                if len(deaths[name]) > restarts or code == EXIT_MISCONFIGURED:
                    return name, code
                report(f"The {name} process stopped (exit {code}); starting it again.")
                self.respawn(name)
            time.sleep(0.5)
