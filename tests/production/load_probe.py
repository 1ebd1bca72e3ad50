"""Helpers of tests/production/test_sign_in_load.py that run in processes of their own.

`python -m tests.production.load_probe rasa PORT` serves a stand-in Rasa: every
message gets one answer, every tracker holds the opening and that answer.

`python -m tests.production.load_probe probe BASE COOKIE...` loads /healthz
(two clients) and the chat page (one client per chat cookie) without pause,
each as one person would, one request after another, until a line arrives on
standard input; then it prints every request as JSON: when it began (time.time),
the path, the seconds it took and the status.

Own processes, so that neither the stand-in nor the measurement waits on the
test's fifty sign-in threads for Python's interpreter lock: the figures are
the web app's, not the test's.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Tuple

import requests


class _Rasa(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send([{"text": "Is it OK to talk about this now?"}])

    def do_GET(self) -> None:  # noqa: N802
        self._send({"events": [{"event": "user", "text": "/start"},
                               {"event": "bot", "text": "Is it OK to talk about this now?"}]})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


def serve_rasa(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Rasa)
    print("ready", flush=True)
    server.serve_forever()


def probe(base: str, cookies: List[str]) -> None:
    stop = threading.Event()
    samples: List[Tuple[float, str, float, int]] = []
    lock = threading.Lock()

    def load(path: str, cookie: str) -> None:
        client = requests.Session()
        if cookie:
            client.cookies.set("msp_session", cookie, domain="127.0.0.1", path="/")
        while not stop.is_set():
            began_at, began = time.time(), time.perf_counter()
            status = client.get(base + path, timeout=30).status_code
            with lock:
                samples.append((began_at, path, time.perf_counter() - began, status))

    threads = [threading.Thread(target=load, args=("/healthz", "")) for _ in range(2)]
    threads += [threading.Thread(target=load, args=("/chat", cookie)) for cookie in cookies]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    sys.stdin.readline()
    stop.set()
    for thread in threads:
        thread.join()
    json.dump(samples, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "rasa":
        serve_rasa(int(sys.argv[2]))
    else:
        probe(sys.argv[2], sys.argv[3:])
