"""Start the Rasa server, the action server and the duty alert sender together; stop them together.

Used by `msp serve` (make run) in the foreground, and by the end-to-end tests
with free ports and a throw-away database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, VAR_DIR, Settings

MODEL_PATH = PROJECT_ROOT / "models" / "msp.tar.gz"
READY_TIMEOUT_S = 240.0


def tracker_store_endpoint(url: str) -> Dict[str, object]:
    """Rasa's SQL tracker store wants the URL in parts."""
    parsed = make_url(url)
    config: Dict[str, object] = {"type": "SQL", "dialect": parsed.drivername}
    if parsed.get_backend_name() == "sqlite":
        db = Path(parsed.database or "tracker.db")
        if not db.is_absolute():
            db = PROJECT_ROOT / db
        db.parent.mkdir(parents=True, exist_ok=True)
        config["db"] = str(db)
        return config
    for key, value in (
        ("url", parsed.host),
        ("port", parsed.port),
        ("db", parsed.database),
        ("username", parsed.username),
        ("password", parsed.password),
    ):
        if value is not None:
            config[key] = value
    return config


def write_endpoints(settings: Settings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    endpoints = {
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.actions_port}/webhook"},
        "tracker_store": tracker_store_endpoint(settings.tracker_store_url),
    }
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def _child_env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The parent's environment, with every setting as this `settings` has it."""
    env = dict(os.environ)
    env.update(settings.as_env())
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SANIC_HOST": "127.0.0.1",
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    env.update(extra or {})
    return env


def _fetch(url: str) -> Optional[bytes]:
    """The body of a 200 answer from a loopback server, or None while it is not up."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.read() if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


@dataclass
class Services:
    settings: Settings
    model: Path = MODEL_PATH
    endpoints: Path = VAR_DIR / "endpoints.yml"
    log_dir: Optional[Path] = None
    processes: List[subprocess.Popen] = field(default_factory=list)
    # pid -> "actions" / "rasa" / "sender", so a message can say which one stopped.
    names: Dict[int, str] = field(default_factory=dict)
    with_web: bool = True

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 (lives with the child)
        process = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=_child_env(self.settings),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        if out is not None:
            out.close()  # the child has its own copy
        self.processes.append(process)
        self.names[process.pid] = name
        return process

    def name_of(self, process: subprocess.Popen) -> str:
        return self.names.get(process.pid, "a process")

    def start(self) -> None:
        if not self.model.exists():
            raise SystemExit(f"No trained model at {self.model}. Run `make train` first.")
        write_endpoints(self.settings, self.endpoints)
        python = sys.executable
        self._spawn(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "bot.actions",
             "--port", str(self.settings.actions_port)],
        )
        self._spawn(
            "rasa",
            [python, "-m", "rasa", "run", "--enable-api",
             "--auth-token", self.settings.rasa_auth_token,
             "--interface", "127.0.0.1", "--port", str(self.settings.rasa_port),
             "--model", str(self.model), "--endpoints", str(self.endpoints),
             "--credentials", str(PROJECT_ROOT / "credentials.yml")],
        )
        # The duty alert sender: delivers what the action server writes to the outbox.
        self._spawn("sender", [python, "-m", "bot.alerts.sender"])
        if self.with_web:
            # The web app: the chat page, the only part meant to face people.
            self._spawn("web", [python, "-m", "bot.web.serve"])

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Both servers answer, Rasa has loaded the model, and no process (the sender too) has died."""
        deadline = time.monotonic() + timeout
        status = f"{self.rasa_url}/status?token={self.settings.rasa_auth_token}"
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    name = self.name_of(process)
                    self.stop()
                    raise RuntimeError(f"{name} stopped while starting (exit {process.returncode})")
            actions_up = _fetch(f"{self.actions_url}/health") is not None
            web_up = not self.with_web or _fetch(f"{self.web_url}/healthz") is not None
            if actions_up and web_up and b"model_file" in (_fetch(status) or b""):
                return
            time.sleep(1.0)
        self.stop()
        raise RuntimeError(f"servers not ready after {timeout:.0f}s")

    def stop(self, grace: float = 15.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for process in self.processes:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self.processes.clear()
        self.names.clear()

    def wait_any_exit(self) -> int:
        """Block until one process exits (or a signal arrives); return its code."""
        while True:
            for process in self.processes:
                code = process.poll()
                if code is not None:
                    return code
            time.sleep(0.5)
