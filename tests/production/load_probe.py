"""Helpers of tests/production/test_sign_in_load.py that run in processes of their own.

`python -m tests.production.load_probe rasa PORT` serves a stand-in Rasa: every
message gets one answer, every tracker holds the opening and that answer.

`python -m tests.production.load_probe probe BASE COOKIE...` asks for /healthz
every TICK_S and for the chat page every other TICK_S (taking turns between
the chats' cookies), until a line arrives on standard input; then it prints
every request as JSON: when it was due (time.time), the path, the seconds from
then to its answer, and the status.

Own processes, so that neither the stand-in nor the measurement waits on the
test's fifty sign-in threads for Python's interpreter lock: the figures are
the web app's, not the test's.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Tuple

import requests

TICK_S = 0.04


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
    """Open loop: a request is due every TICK_S whatever happened to the last ones, and its time is
    counted from when it was due. A stall then shows in every request due during it, not only in the
    one a waiting client happened to have open (which would hide it: "coordinated omission")."""
    stop = threading.Event()
    samples: List[Tuple[float, str, float, int]] = []
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=256)

    def one(path: str, cookie: str, due: float, due_at: float) -> None:
        try:
            status = requests.get(base + path, cookies={"msp_session": cookie} if cookie else None,
                                  timeout=60).status_code
        except requests.RequestException:
            status = 0
        with lock:
            samples.append((due_at, path, time.perf_counter() - due, status))

    def schedule() -> None:
        start, start_at = time.perf_counter(), time.time()
        tick = 0
        while not stop.is_set():
            due = start + tick * TICK_S
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            due_at = start_at + tick * TICK_S
            pool.submit(one, "/healthz", "", due, due_at)
            if tick % 2:  # the chat page half as often, taking turns between the chats
                pool.submit(one, "/chat", cookies[(tick // 2) % len(cookies)], due, due_at)
            tick += 1

    scheduler = threading.Thread(target=schedule)
    scheduler.start()
    print("ready", flush=True)
    sys.stdin.readline()
    stop.set()
    scheduler.join()
    pool.shutdown(wait=True)
    json.dump(samples, sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "rasa":
        serve_rasa(int(sys.argv[2]))
    else:
        probe(sys.argv[2], sys.argv[3:])
