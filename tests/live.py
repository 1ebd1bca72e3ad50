"""Real servers on free ports, with throw-away databases: the `live` fixture (see tests/conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from bot.runner import MODEL_PATH, Services
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.store.migrate import upgrade
from tests.alerts.receivers import _GIVEN, HttpReceiver, SmtpSink, free_port, http_receiver, smtp_sink
from tests.conversations.driver import E2E_WEB_CHANNEL_SECRET


class Live:
    """The running assistant and a way to read its records as a practitioner does.

    The duty alert channels point at a local webhook receiver and SMTP sink
    (`.webhook`, `.mail`), so a test can see what the team was sent.
    """

    def __init__(self, services: Services, env: Dict[str, str], webhook: HttpReceiver,
                 mail: SmtpSink) -> None:
        self.services = services
        self.env = env
        self.webhook = webhook
        self.mail = mail

    @property
    def url(self) -> str:
        return self.services.rasa_url

    @property
    def web_url(self) -> str:
        return self.services.web_url

    @property
    def token(self) -> str:
        return self.services.settings.rasa_auth_token

    @property
    def secret(self) -> str:
        """WEB_CHANNEL_SECRET: what the web app signs a person's words with."""
        return self.services.settings.web_channel_secret

    def msp(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=120,
            check=True,
        )

    def export(self, enquiry: Optional[str] = None) -> List[Dict[str, Any]]:
        args = ["export", "--format", "json"] + (["--enquiry", enquiry] if enquiry else [])
        return json.loads(self.msp(*args).stdout)

    def alerts(self) -> List[Dict[str, Any]]:
        return json.loads(self.msp("alerts", "--format", "json").stdout)

    def record(self, conversation_id: str, stage: str) -> Dict[str, Any]:
        found = [r for r in self.export()
                 if r["conversation_id"] == conversation_id and r["stage"] == stage]
        assert found, f"no record for {conversation_id} at stage {stage}"
        return found[0]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("e2e")
    with http_receiver() as webhook, smtp_sink() as mail, neutral_site() as weather:
        settings = e2e_settings(workdir, webhook, mail).copy(update={"exit_url": weather})
        upgrade(settings.database_url)
        env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(PROJECT_ROOT))
        services = start_services(settings, workdir)
        live = Live(services, env, webhook, mail)
        yield live
        services.stop()
        _write_report(live)


class _Weather(BaseHTTPRequestHandler):
    """A stand-in for the neutral website "Exit this page" goes to."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"<!doctype html><html lang='en'><title>Weather</title><h1>Weather today</h1></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@contextmanager
def neutral_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Weather)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    finally:
        server.shutdown()
        server.server_close()


def free_port_run(count: int) -> int:
    """The first of `count` free ports in a row: instance k of a stack listens on base+k."""
    for _ in range(500):
        base = free_port()
        rest = range(base + 1, base + count)
        if base + count <= 65535 and all(p not in _GIVEN and _bindable(p) for p in rest):
            _GIVEN.update(rest)
            return base
    raise RuntimeError(f"no {count} free ports in a row")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def e2e_settings(workdir: Path, webhook: HttpReceiver, mail: SmtpSink) -> Settings:
    """Throw-away databases, free ports, and duty alerts to the local receivers.

    The embedded path (one instance, SQLite, in-memory locks) whatever this
    machine's environment says; tests/production/ replaces what production changes.
    """
    web_port = free_port()
    return load_settings().copy(update={
        "lock_store_url": "",
        "rasa_instances": 1,
        "trusted_proxies": 0,
        "database_url": f"sqlite:///{workdir / 'records.db'}",
        "tracker_store_url": f"sqlite:///{workdir / 'tracker.db'}",
        "rasa_auth_token": "e2e-token",
        "rasa_port": free_port(),
        "actions_port": free_port(),
        "duty_alert_webhook_url": webhook.url,
        "duty_alert_email": "duty-team@council.example",
        "smtp_host": mail.host,
        "smtp_port": mail.port,
        "smtp_starttls": False,
        "smtp_username": "",
        "alert_max_delay_s": 1.0,
        "spool_dir": str(workdir / "spool"),
        "secret_key": "e2e-secret-key-for-signing-invitations-only",
        "web_channel_secret": E2E_WEB_CHANNEL_SECRET,  # the drivers sign a person's words with it
        "web_port": web_port,
        "web_session_dir": str(workdir / "sessions"),
        "public_base_url": f"http://127.0.0.1:{web_port}",
    })


def start_services(settings: Settings, workdir: Path, with_web: bool = True) -> Services:
    services = Services(settings, endpoints=workdir / "endpoints.yml", log_dir=workdir / "logs",
                        with_web=with_web)
    services.start()
    try:
        services.wait_ready()
    except RuntimeError:
        for log in sorted((workdir / "logs").glob("*.log")):
            sys.stderr.write(f"--- {log.name}\n{log.read_text()[-4000:]}\n")
        raise
    return services


def _write_report(live: Live) -> None:
    """Leave the figures of this run's records where a person can read them."""
    out = PROJECT_ROOT / "results"
    out.mkdir(exist_ok=True)
    try:
        table = live.msp("report", "--chart", str(out / "e2e-report.png")).stdout
    except subprocess.CalledProcessError as exc:  # the tests' verdicts stand either way
        sys.stderr.write(f"msp report failed: {exc.stderr}\n")
        return
    (out / "e2e-report.txt").write_text(table)
    sys.stderr.write(f"\nmsp report of the end-to-end records: {out / 'e2e-report.txt'}\n")
