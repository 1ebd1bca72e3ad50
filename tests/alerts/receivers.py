"""Local stand-ins for the duty team's webhook and mail server, for tests.

`http_receiver()` is an HTTP server on a free loopback port that keeps every
POST. It can be told to answer with an error (`fail(503)`) or to stop
listening altogether (`down()`: connection refused), and to come back
(`succeed()`, `up()`) on the same port, so a test can prove that an alert
still arrives after an outage. `smtp_sink()` is an aiosmtpd server that keeps
every message.

Both run in threads of the test process and work the same whether the sender
runs in the test (`run_once`) or as a child process of the real servers:
use `wait_for()` in the second case, since delivery is then asynchronous.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Tuple

WAIT_S = 10.0


_GIVEN: set = set()  # type: ignore[type-arg]


def free_port() -> int:
    """A port nothing listens on, never the same one twice in this process.

    The kernel may hand a just-closed port out again at once; two servers of
    one test stack given the same port would race for it.
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


@dataclass(frozen=True)
class Delivery:
    """One POST as the receiver got it."""

    method: str
    path: str
    headers: Dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signature_ok(self, secret: str) -> bool:
        """True when X-MSP-Signature is the HMAC-SHA256 of the body with `secret`."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-MSP-Signature", ""), expected)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # `up()` binds the same port again at once


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    receiver: "HttpReceiver"  # set on the subclass each receiver makes

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, location = self.receiver._record(self.command, self.path, dict(self.headers.items()), body)
        reply = b"ok" if status < 300 else b"not now"
        self.send_response(status)
        if location and 300 <= status < 400:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST  # kept too: a sender that followed a redirect shows up as a GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: pytest output is for the tests."""


class HttpReceiver:
    """A webhook receiver: `.url` to post to, `.received` for what it accepted (2xx)."""

    def __init__(self, path: str = "/duty-alerts", status: int = 200) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.status = status
        self.location: Optional[str] = None
        self.received: List[Delivery] = []  # answered 2xx: delivered
        self.refused: List[Delivery] = []  # answered with an error status
        self._changed = threading.Condition()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self.up()

    # What the receiver does with the next request.
    def succeed(self, status: int = 200) -> None:
        self.status = status

    def fail(self, status: int = 503) -> None:
        self.status = status

    def redirect(self, location: str, status: int = 302) -> None:
        """Answer with a redirect to `location` (a sender must not take that for delivery)."""
        self.status = status
        self.location = location

    def up(self) -> None:
        """Listen (again) on the same port."""
        if self._server is not None:
            return
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._server = _Server(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-receiver",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: a sender now gets connection refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def _record(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Optional[str]]:
        with self._changed:
            status = self.status
            delivery = Delivery(method=method, path=path, headers=headers, body=body, status=status)
            (self.received if 200 <= status < 300 else self.refused).append(delivery)
            self._changed.notify_all()
            return status, self.location

    def wait_for(self, count: int = 1, timeout: float = WAIT_S) -> List[Delivery]:
        """Block until at least `count` deliveries were accepted; fail the test if they never come."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"webhook receiver got {len(self.received)} alert(s) in {timeout:.0f}s, "
                        f"expected {count} ({len(self.refused)} refused)"
                    )
                self._changed.wait(left)
            return list(self.received)


@contextmanager
def http_receiver(path: str = "/duty-alerts", status: int = 200) -> Iterator[HttpReceiver]:
    """A webhook receiver for the length of the block."""
    receiver = HttpReceiver(path, status)
    try:
        yield receiver
    finally:
        receiver.down()


@dataclass
class SmtpSink:
    """A mail server that keeps every message: `.host`, `.port`, `.messages`."""

    host: str
    port: int
    messages: List[EmailMessage] = field(default_factory=list)
    envelopes: List[Tuple[str, List[str]]] = field(default_factory=list)  # (mail from, rcpt to)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = WAIT_S) -> List[EmailMessage]:
        """Block until at least `count` messages arrived; fail the test if they never come."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"SMTP sink got {len(self.messages)} message(s) in "
                                         f"{timeout:.0f}s, expected {count}")
                self._changed.wait(left)
            return list(self.messages)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on a free loopback port for the length of the block."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
