"""The sign-in gate: the first look at every POST to /review/sign-in, before Flask does any work for it.

Fifty wrong sign-ins at once must not stall the person's chat. Each one
would otherwise open and save a server-side session, check its CSRF token,
render a page and take a write lock on the counters: a few milliseconds each,
all queued in front of everyone else's requests for waitress's 8 threads. So
this small WSGI layer, inside ProxyFix (so the address is the client's, as
`request.remote_addr` is), answers most of them at once with 429 and
Retry-After:

1. A try from an address known to wait is told how long at once. Waits are
   read from the database (one indexed read, no lock: every web process sees
   the same counts) and trusted here for MEMO_S seconds.
2. At most SIGNIN_CONCURRENT_CHECKS sign-ins (1) are looked at once in this
   web process (argon2: about 0.15 s of CPU and 64 MiB each; one leaves the
   other core of a 2-core server to the chat). Another try is told the
   workspace is busy, to try again in a few seconds; it never queues.
3. With the slot, the address's wait is read; if there is none the try goes
   on to Flask (CSRF, the view, `accounts.sign_in`, which decides again under its
   lock, for the account too), holding its slot.

Nothing here sleeps. The wait page holds nothing of the request (no form, no
token, no email), so each one is made once per web process through Flask
itself (the same template and the same security headers as every page) and
kept.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from flask import Flask, render_template
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.accounts import lockout
from bot.settings import Settings
from bot.store.models import utcnow

logger = logging.getLogger(__name__)

SIGN_IN_PATH = "/review/sign-in"
BUSY_RETRY_S = 2  # Retry-After when this process is already checking as many sign-ins as it may
# How long this process trusts a wait it read from the database: a flood from a waiting address costs
# no read at all, and a manager's unlock reaches every web process within this many seconds.
MEMO_S = 2.0
MEMO_MAX = 10_000
TEMPLATE = "review/sign_in_wait.html"
STATUS = "429 Too Many Requests"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]


def wait_page(seconds: int, busy: bool = False) -> Tuple[str, int, Dict[str, str]]:
    """The sign-in page's kind "wait, then try again" (429, Retry-After in seconds), inside a request."""
    seconds = max(1, int(seconds))
    return render_template(TEMPLATE, **_words(seconds, busy)), 429, {"Retry-After": str(seconds)}


def _words(seconds: int, busy: bool) -> Dict[str, Any]:
    return {"busy": busy, "minutes": 0 if busy else max(1, math.ceil(seconds / 60))}


class SignInGate:
    """WSGI middleware for POST /review/sign-in; every other request passes straight through."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app = app
        self.inner = inner
        settings: Settings = app.config["MSP_SETTINGS"]
        self.slots = threading.BoundedSemaphore(max(1, settings.signin_concurrent_checks))
        self._pages: Dict[Tuple[str, bool, int], Tuple[List[Tuple[str, str]], bytes]] = {}
        self._waits: Dict[str, Tuple[datetime, float]] = {}  # address -> (waits until, read at, monotonic)

    def now(self) -> datetime:
        clock = self.app.config.get("MSP_CLOCK")  # tests move the clock
        return clock() if clock else utcnow()

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != SIGN_IN_PATH:
            return self.inner(environ, start_response)
        address = str(environ.get("REMOTE_ADDR") or "-")
        now = self.now()
        waiting = self._known_wait(address, now)
        if waiting:
            return self._wait(environ, start_response, waiting)
        if not self.slots.acquire(blocking=False):
            return self._wait(environ, start_response, BUSY_RETRY_S, busy=True)
        try:
            try:
                waiting = lockout.address_wait(address, now)
            except SQLAlchemyError:  # Flask's own path meets the same database, and says so kindly
                logger.warning("sign-in gate: could not read the address's wait; the sign-in page decides")
                waiting = 0
            if waiting:
                self._remember(address, now + timedelta(seconds=waiting))
                return self._wait(environ, start_response, waiting)
            # Flask builds the whole answer (the password checked, the session saved) before it returns.
            return self.inner(environ, start_response)
        finally:
            self.slots.release()

    def _known_wait(self, address: str, now: datetime) -> int:
        """A wait read from the database in the last MEMO_S seconds and not over (0: none known)."""
        found = self._waits.get(address)
        if found is None:
            return 0
        until, read_at = found
        if until <= now or time.monotonic() - read_at > MEMO_S:
            self._waits.pop(address, None)
            return 0
        return max(1, math.ceil((until - now).total_seconds()))

    def _remember(self, address: str, until: datetime) -> None:
        if len(self._waits) >= MEMO_MAX:
            self._waits.clear()  # a flood from many addresses: start again rather than grow
        self._waits[address] = (until, time.monotonic())

    def _wait(self, environ: Dict[str, Any], start_response: StartResponse, seconds: int,
              busy: bool = False) -> Iterable[bytes]:
        words = _words(seconds, busy)
        scheme = str(environ.get("wsgi.url_scheme", "http"))
        key = (scheme, busy, int(words["minutes"]))
        made = self._pages.get(key)
        if made is None:
            made = self._pages[key] = self._make(environ, words)
        headers, body = made
        start_response(STATUS, [*headers, ("Retry-After", str(max(1, int(seconds)))),
                                ("Content-Length", str(len(body)))])
        return [body]

    def _make(self, environ: Dict[str, Any], words: Dict[str, Any]) -> Tuple[List[Tuple[str, str]], bytes]:
        """The page through Flask once (its template, its after_request headers), kept for this process."""
        with self.app.test_request_context(SIGN_IN_PATH, method="GET", base_url=_base_url(environ)):
            response = self.app.make_response((render_template(TEMPLATE, **words), 429))
            response = self.app.process_response(response)
            body = response.get_data()
            kept = [(name, value) for name, value in response.headers.items()
                    if name.lower() not in ("set-cookie", "vary", "content-length", "retry-after")]
        return kept, body


def _base_url(environ: Dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def install(app: Flask) -> Optional[SignInGate]:
    """Put the gate in front of the app, inside ProxyFix if there is one: it must see the client's address."""
    if isinstance(app.wsgi_app, SignInGate) or isinstance(getattr(app.wsgi_app, "app", None), SignInGate):
        return None
    if isinstance(app.wsgi_app, ProxyFix):
        proxy = app.wsgi_app
        gate = SignInGate(app, proxy.app)
        proxy.app = gate
    else:
        gate = SignInGate(app, app.wsgi_app)
        app.wsgi_app = gate  # type: ignore[method-assign]
    app.extensions["msp.sign_in_gate"] = gate
    return gate
