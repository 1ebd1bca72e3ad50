"""An example receiver of record pushes: the three checks a council's integration engine makes.

Not part of the assistant: a sketch, in the standard library only, of what
the receiving end (an integration engine in front of Liquidlogic, Mosaic or
Eclipse) does with each POST. The tests run it against the real sender
(tests/alerts/test_pushes.py), so what the README shows is what is tested.

1. Signature: `X-MSP-Signature` must be `sha256=` and the HMAC-SHA256 of the
   raw body, keyed with the shared secret (RECORD_PUSH_SECRET), compared with
   `hmac.compare_digest`. Anything else: 401, and nothing is kept.
2. Idempotency: an `Idempotency-Key` already seen is a repeat (the sender
   did not hear the last answer): answer 200 and keep nothing new.
3. Order: keep the highest `version` of each record (conversation_id +
   stage). An older version arriving late is answered 200 and dropped.

Answer 2xx only once the record is safely kept: the sender tries again,
for as long as it takes, until it gets one. A real receiver keeps the
seen keys and the versions in its own database, in the same transaction as
the record it files.

Run: RECORD_PUSH_SECRET=... python docs/examples/record_receiver.py 8900
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Mapping, Set, Tuple


class RecordInbox:
    """What the receiver keeps: the newest version of each record, and every key it has seen."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._lock = threading.Lock()
        self.records: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.seen: Set[str] = set()

    def accept(self, headers: Mapping[str, str], body: bytes) -> Tuple[int, str]:
        """Check one POST; returns (HTTP status, what happened)."""
        lower = {k.lower(): v for k, v in headers.items()}
        expected = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(lower.get("x-msp-signature", ""), expected):
            return 401, "bad signature"
        key = lower.get("idempotency-key", "")
        if not key:
            return 400, "no idempotency key"
        try:
            record = json.loads(body)
            which = (str(record["conversation_id"]), str(record["stage"]))
            version = int(record["version"])
        except (ValueError, KeyError, TypeError):
            return 400, "not a record"
        with self._lock:
            if key in self.seen:
                return 200, "repeat"
            self.seen.add(key)
            held = self.records.get(which)
            if held is not None and int(held["version"]) >= version:
                return 200, "older"
            self.records[which] = record  # here: file it in the case system
            return 200, "kept"


def serve(port: int, secret: str) -> None:  # pragma: no cover (the tests call RecordInbox directly)
    inbox = RecordInbox(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, what = inbox.accept(self.headers, body)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(what.encode())

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":  # pragma: no cover
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 8900, os.environ["RECORD_PUSH_SECRET"])
