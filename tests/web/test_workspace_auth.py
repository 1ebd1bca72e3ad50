"""The workspace's door: sign-in on every route, roles, sessions, waits after failures and the audit of it all.

Flask's test client only, no Rasa. Routes are not listed by hand: they are
read from the app's url_map, so a route added later is checked too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bot import accounts
from bot.accounts import lockout, passwords
from bot.settings import load_settings
from bot.store import audit as audit_store
from bot.store import users
from bot.store.db import session_scope
from bot.store.models import AuditEvent
from bot.web import create_app, invitations
from bot.web.workspace import gate

SECRET = "test-secret-key-" + "w" * 40
PASSWORD = "kettle-sunflower-march"
PRACTITIONER = "pat@example.org"
MANAGER = "mo@example.org"
SIGN_IN = "/review/sign-in"


class Clock:
    """The app's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with small parameters: these tests are about the door, not the hash's cost."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(record_db: str, tmp_path: Path) -> Any:
    return load_settings().copy(update={"database_url": record_db, "secret_key": SECRET,
                                        "web_session_dir": str(tmp_path / "sessions"), "signin_address_failures": 5,
                                        "signin_account_failures": 10, "signin_wait_minutes": 1.0, "signin_wait_max_minutes": 15.0,
                                        "signin_window_minutes": 15.0, "signin_concurrent_checks": 1, "workspace_idle_minutes": 30.0,
                                        "password_min_length": 12, "trusted_proxies": 0})


@pytest.fixture
def app(settings: Any, clock: Clock) -> Any:
    accounts.add_user(PRACTITIONER, PASSWORD, users.PRACTITIONER, settings)
    accounts.add_user(MANAGER, PASSWORD, users.MANAGER, settings)
    return create_app(settings, overrides={"TESTING": True, "MSP_CLOCK": clock})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _sign_in(client: Any, email: str, password: str = PASSWORD, next_: Optional[str] = None,
             address: str = "127.0.0.1", **kwargs: Any) -> Any:
    token = _csrf(client.get(SIGN_IN).get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    if next_ is not None:
        data["next"] = next_
    return client.post(SIGN_IN, data=data, environ_base={"REMOTE_ADDR": address}, **kwargs)


def _signed_in(app: Any, email: str) -> Tuple[Any, str]:
    """A browser signed in as `email`, and a CSRF token for its forms (from the nav's Sign out)."""
    client = app.test_client()
    response = _sign_in(client, email)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/review/audit")  # a manager's page, or the practitioner's 403: both carry the form
    return client, _csrf(page.get_data(as_text=True))


def _is_sign_in_redirect(response: Any, path: str) -> bool:
    location = urlsplit(response.headers.get("Location", ""))
    return (response.status_code == 303 and location.path == SIGN_IN
            and parse_qs(location.query).get("next") == [path])


def _workspace_rules(app: Any) -> List[Any]:
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("review.") and r.endpoint != "review.sign_in"]
    assert rules, "the workspace has no routes?"
    return rules


def _path(rule: Any) -> str:
    """The rule with a dummy value in each part (1 suits int and string converters alike)."""
    built = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return str(built[1])


def _audit(action: Optional[str] = None) -> List[AuditEvent]:
    with session_scope() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.execute(query).scalars())


# --- every route needs sign-in -----------------------------------------------------------------


def test_every_workspace_route_sends_a_stranger_to_sign_in_whatever_the_method(app: Any) -> None:
    checked = 0
    for rule in _workspace_rules(app):
        path = _path(rule)
        for method in sorted(rule.methods):
            client = app.test_client()
            # A real CSRF token, so that it is the sign-in check that answers, not the CSRF one.
            token = _csrf(client.get(SIGN_IN).get_data(as_text=True))
            response = client.open(path, method=method, data={"csrf_token": token})
            if method in ("GET", "HEAD"):
                assert _is_sign_in_redirect(response, path), (method, rule.rule, response.status_code)
            else:
                assert response.status_code == 401, (method, rule.rule, response.status_code)
            checked += 1
    assert checked >= 3


def test_the_next_page_is_kept_and_only_ever_a_workspace_page(app: Any) -> None:
    client = app.test_client()
    response = client.get("/review/audit?page=2")
    assert _is_sign_in_redirect(response, "/review/audit?page=2")
    assert _sign_in(client, MANAGER, next_="/review/audit?page=2").headers["Location"] == "/review/audit?page=2"
    for bad in ("https://evil.example/", "//evil.example/review/", "/chat", "/review/sign-in", "javascript:x"):
        other = app.test_client()
        assert _sign_in(other, MANAGER, next_=bad).headers["Location"] == "/review/", bad


def test_sign_in_page_is_gov_uk_with_no_exit_button_and_no_inline_script(app: Any) -> None:
    response = app.test_client().get(SIGN_IN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Workspace – Sign in</title>" in html
    assert 'type="email"' in html and 'type="password"' in html and 'autocomplete="current-password"' in html
    assert "govuk-exit-this-page" not in html
    assert "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_signed_in_pages_have_the_workspace_navigation_and_sign_out(app: Any) -> None:
    client, _ = _signed_in(app, MANAGER)
    html = client.get("/review/audit").get_data(as_text=True)
    for href, words in (("/review/", "Urgent alerts"), ("/review/enquiries", "Enquiries"),
                        ("/review/invitations", "Invitations"), ("/review/export", "Export"),
                        ("/review/report", "Report"), ("/review/audit", "Audit")):
        assert re.search(rf'href="{re.escape(href)}"[^>]*>\s*(<strong[^>]*>)?{words}', html), words
    assert re.search(r'<form method="post" action="/review/sign-out">', html)
    assert "govuk-exit-this-page" not in html
    practitioner, _ = _signed_in(app, PRACTITIONER)
    page = practitioner.get("/review/audit").get_data(as_text=True)
    assert 'href="/review/audit"' not in page, "the Audit link is for managers"


# --- roles -------------------------------------------------------------------------------------


def test_manager_only_routes_answer_403_to_a_practitioner(app: Any) -> None:
    manager_rules = [r for r in _workspace_rules(app) if getattr(app.view_functions[r.endpoint], "manager_only", False)]
    assert any(r.endpoint == "review.audit_log" for r in manager_rules)
    client, token = _signed_in(app, PRACTITIONER)
    for rule in manager_rules:
        for method in sorted(rule.methods):
            response = client.open(_path(rule), method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, rule.rule, response.status_code)
    manager, _ = _signed_in(app, MANAGER)
    assert manager.get("/review/audit").status_code == 200


def test_the_manager_mark_is_on_the_view_whichever_way_round_the_decorators_are() -> None:
    """The blueprint checks the mark on whatever function the route registered: the wrapper or the view."""
    from bot.web.workspace import manager_only

    def view() -> str:
        return "secret"

    marked = manager_only(view)
    assert getattr(marked, "manager_only", False) and getattr(view, "manager_only", False)


# --- CSRF --------------------------------------------------------------------------------------


def test_a_post_without_a_csrf_token_is_refused_even_when_signed_in(app: Any) -> None:
    client, _ = _signed_in(app, MANAGER)
    posts = [r for r in _workspace_rules(app) if "POST" in r.methods]
    assert any(r.endpoint == "review.sign_out" for r in posts)
    for rule in posts:
        response = client.post(_path(rule), data={})
        assert response.status_code == 400, (rule.rule, response.status_code)
    assert client.get("/review/audit").status_code == 200, "still signed in: nothing happened"
    assert not _audit("sign_out")


# --- signing in --------------------------------------------------------------------------------


def test_sign_in_starts_a_new_session_id_and_is_audited_with_the_address(app: Any) -> None:
    client = app.test_client()
    client.get(SIGN_IN)
    before = client.get_cookie("msp_session").value
    response = _sign_in(client, "  MO@Example.org ")
    assert response.status_code == 303 and response.headers["Location"] == "/review/"
    after = client.get_cookie("msp_session").value
    assert after != before, "a new session id at sign-in (no fixation)"
    stale = app.test_client()
    stale.set_cookie("msp_session", before)
    assert _is_sign_in_redirect(stale.get("/review/audit"), "/review/audit")
    (event,) = _audit("sign_in")
    assert event.actor == MANAGER and event.address == "127.0.0.1" and "role=manager" in event.detail


def test_wrong_password_and_unknown_email_get_the_same_kind_answer(app: Any) -> None:
    pages = []
    for email, password in ((PRACTITIONER, "not-the-password-at-all"), ("nobody@example.org", PASSWORD)):
        response = _sign_in(app.test_client(), email, password)
        html = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
        pages.append((response.status_code, html.replace(email, "EMAIL")))
        assert "The email or password is not right" in html
        assert "<title>Error: Workspace – Sign in</title>" in html
    assert pages[0] == pages[1], "nothing tells an account from no account"
    assert [e.actor for e in _audit("sign_in_failed")] == [PRACTITIONER, "nobody@example.org"]


def test_empty_fields_get_kind_errors(app: Any) -> None:
    client = app.test_client()
    token = _csrf(client.get(SIGN_IN).get_data(as_text=True))
    html = client.post(SIGN_IN, data={"csrf_token": token}).get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html
    assert 'href="#email"' in html and 'href="#password"' in html


def test_a_failed_sign_in_is_audited_as_the_typed_email_lower_cased_and_cut(app: Any) -> None:
    typed = "X" * 300 + "@Example.org"
    _sign_in(app.test_client(), typed, "whatever-it-may-be")
    (event,) = _audit("sign_in_failed")
    assert event.actor == typed.lower()[:255] and event.address == "127.0.0.1"
    assert "whatever" not in (event.detail or "")


TOO_MANY = "Too many tries. Wait 1 minute, then try again"


def test_an_address_that_fails_too_often_is_told_to_wait_at_once_with_429(app: Any, clock: Clock) -> None:
    client = app.test_client()
    for attempt in range(1, 6):
        response = _sign_in(client, PRACTITIONER, f"wrong-password-{attempt}")
        if attempt < 5:
            assert response.status_code == 401
            assert "The email or password is not right" in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert TOO_MANY in html and "<title>Error: Workspace – Sign in</title>" in html
    assert "govuk-error-summary" in html and 'href="#wait"' in html, "a GOV.UK error summary"
    waiting = _sign_in(client, PRACTITIONER, PASSWORD)
    assert waiting.status_code == 429 and TOO_MANY in waiting.get_data(as_text=True), "even the right password"
    assert waiting.headers["Retry-After"] == "60"
    clock.move(seconds=30)
    assert _sign_in(client, PRACTITIONER, PASSWORD).headers["Retry-After"] == "30"
    assert len(_audit("sign_in_failed")) == 5, "a try that had to wait was not checked, so not audited"
    (blocked,) = _audit("sign_in_blocked")
    assert blocked.actor == PRACTITIONER and blocked.address == "127.0.0.1"
    assert blocked.detail == "scope=address failures=5 until=2026-11-28T09:01:00Z"
    clock.move(seconds=31)
    assert _sign_in(client, PRACTITIONER, PASSWORD).status_code == 303
    assert client.get("/review/sign-in").headers["Location"] == "/review/"


def test_the_owner_signs_in_from_another_address_while_theirs_is_guessed_at(app: Any) -> None:
    attacker = app.test_client()
    for attempt in range(12):
        _sign_in(attacker, PRACTITIONER, f"guess-number-{attempt}")
    assert _sign_in(attacker, PRACTITIONER, PASSWORD).status_code == 429
    owner = app.test_client()
    assert _sign_in(owner, PRACTITIONER, PASSWORD, address="127.0.0.2").status_code == 303


def test_an_unknown_email_is_told_to_wait_the_same_way(app: Any) -> None:
    pages = []
    for n, email in enumerate((PRACTITIONER, "nobody@example.org")):
        client = app.test_client()
        for attempt in range(6):
            response = _sign_in(client, email, f"guess-number-{attempt}", address=f"192.0.2.{n}")
        html = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
        pages.append((response.status_code, response.headers.get("Retry-After"), html.replace(email, "EMAIL")))
    assert pages[0] == pages[1] and pages[0][0] == 429
    assert len(_audit("sign_in_blocked")) == 2


def test_a_failed_sign_in_never_sleeps_in_the_request(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def no_sleep(_: float) -> None:
        raise AssertionError("the request slept")

    monkeypatch.setattr(time, "sleep", no_sleep)
    client = app.test_client()
    statuses = [_sign_in(client, PRACTITIONER, f"guess-number-{n}").status_code for n in range(7)]
    assert statuses == [401] * 4 + [429] * 3


def _gate(app: Any) -> gate.SignInGate:
    return app.extensions["msp.sign_in_gate"]


def test_a_busy_web_process_says_so_at_once_with_429(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    slots = _gate(app).slots
    assert slots.acquire(blocking=False)  # another sign-in being checked in this process
    monkeypatch.setattr(accounts, "sign_in", _never)
    monkeypatch.setattr(lockout, "address_wait", _never)
    try:
        response = _sign_in(app.test_client(), PRACTITIONER)
    finally:
        slots.release()
    assert response.status_code == 429 and response.headers["Retry-After"] == str(gate.BUSY_RETRY_S)
    assert "The workspace is busy. Wait a few seconds, then try again" in response.get_data(as_text=True)
    assert not _audit(), "nothing was checked, nothing counted"


def _never(*_: Any, **__: Any) -> Any:
    raise AssertionError("the gate should have answered before this")


def test_the_gate_turns_a_waiting_address_away_before_flask_does_any_work(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No session, no CSRF check, no page rendered, no password checked: one read, and a page made once."""
    client = app.test_client()
    for attempt in range(5):
        _sign_in(client, PRACTITIONER, f"guess-number-{attempt}")
    token = _csrf(client.get(SIGN_IN).get_data(as_text=True))
    monkeypatch.setattr(accounts, "sign_in", _never)
    first = client.post(SIGN_IN, data={"email": PRACTITIONER, "password": PASSWORD, "csrf_token": token})
    # Once made (through Flask, with its headers), the page is kept, and no session is opened for it.
    monkeypatch.setattr(gate, "render_template", _never)
    monkeypatch.setattr(app.session_interface, "open_session", _never)
    again = client.post(SIGN_IN, data={"email": PRACTITIONER, "password": PASSWORD, "csrf_token": token})
    stranger = app.test_client().post(SIGN_IN, data={"email": "x@example.org", "password": "y"})
    assert again.get_data() == first.get_data()
    for response in (first, again, stranger):
        html = response.get_data(as_text=True)
        assert response.status_code == 429 and response.headers["Retry-After"] == "60"
        assert TOO_MANY in html and "<title>Error: Workspace – Sign in</title>" in html
        assert "If you cannot wait, ask a manager" in html and 'href="/review/sign-in"' in html
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], "the app's own headers"
        assert response.headers["X-Frame-Options"] == "DENY" and "Set-Cookie" not in response.headers
        assert "<script>" not in html and "style=" not in html
    assert len(_audit("sign_in_failed")) == 5


def test_a_flood_from_a_waiting_address_is_answered_without_a_read_and_an_unlock_still_reaches_it(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    for attempt in range(5):
        _sign_in(client, PRACTITIONER, f"guess-number-{attempt}")
    assert _sign_in(client, PRACTITIONER).status_code == 429  # the gate reads the wait once
    with monkeypatch.context() as patched:
        patched.setattr(lockout, "address_wait", _never)
        patched.setattr(accounts, "sign_in", _never)
        for _ in range(3):
            assert _sign_in(client, PRACTITIONER).status_code == 429
    users.unlock(users.ADDRESS, "127.0.0.1", MANAGER)
    assert _sign_in(client, PRACTITIONER).status_code == 429, "trusted for a moment (MEMO_S)"
    monkeypatch.setattr(gate, "MEMO_S", 0.0)  # the moment has passed
    assert _sign_in(client, PRACTITIONER).status_code == 303


def test_when_the_gate_cannot_read_a_wait_the_sign_in_page_decides(app: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def unreadable(*_: Any) -> int:
        raise OperationalError("SELECT", {}, Exception("database away"))

    monkeypatch.setattr(lockout, "address_wait", unreadable)
    assert _sign_in(app.test_client(), PRACTITIONER, "not-the-password-at-all").status_code == 401
    assert _sign_in(app.test_client(), PRACTITIONER).status_code == 303


def test_the_wait_page_says_how_many_minutes(app: Any, clock: Clock) -> None:
    client = app.test_client()
    for attempt in range(6):
        _sign_in(client, PRACTITIONER, f"guess-number-{attempt}")
        if attempt == 4:
            clock.move(minutes=1)  # the first wait is over: the sixth failure doubles it
    response = _sign_in(client, PRACTITIONER)
    assert response.headers["Retry-After"] == "120"
    assert "Too many tries. Wait 2 minutes, then try again" in response.get_data(as_text=True)


def test_behind_a_trusted_proxy_each_client_address_is_counted_apart(
    settings: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_user(PRACTITIONER, PASSWORD, users.PRACTITIONER, settings)
    app = create_app(settings.copy(update={"trusted_proxies": 1}), overrides={"TESTING": True, "MSP_CLOCK": clock})
    client = app.test_client()
    for attempt in range(5):
        _sign_in(client, PRACTITIONER, f"guess-number-{attempt}", headers={"X-Forwarded-For": "203.0.113.7"})
    with monkeypatch.context() as patched:
        patched.setattr(accounts, "sign_in", _never)  # the gate, inside ProxyFix, sees the client's address
        assert _sign_in(client, PRACTITIONER, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert _sign_in(client, PRACTITIONER, headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 303
    assert {e.address for e in _audit("sign_in_failed")} == {"203.0.113.7"}


def test_without_a_proxy_a_forwarded_address_changes_nothing(app: Any) -> None:
    client = app.test_client()
    for attempt in range(5):
        _sign_in(client, PRACTITIONER, f"guess-number-{attempt}", headers={"X-Forwarded-For": f"10.0.0.{attempt}"})
    assert _sign_in(client, PRACTITIONER, headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 429


# --- managers see the waits and lift them ------------------------------------------------------


def test_a_manager_sees_who_is_waiting_and_unlocks_them_audited(app: Any) -> None:
    guesser = app.test_client()
    for attempt in range(5):
        _sign_in(guesser, PRACTITIONER, f"guess-number-{attempt}", address="192.0.2.50")
    manager, token = _signed_in(app, MANAGER)
    html = manager.get("/review/accounts").get_data(as_text=True)
    assert "<title>Workspace – Accounts</title>" in html
    assert re.search(r'href="/review/accounts"[^>]*>\s*(<strong[^>]*>)?Accounts', html), "in the navigation"
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>192\.0\.2\.50</td>(.*?)</tr>", html, re.S)
    assert row, "the address is listed"
    assert "5 since 28 Nov 2026 09:00" in row.group(1) and "28 Nov 2026 09:01" in row.group(1)
    response = manager.post("/review/accounts/unlock", data={"csrf_token": token, "scope": "address",
                                                             "key": "192.0.2.50"})
    assert response.status_code == 303 and response.headers["Location"] == "/review/accounts"
    page = manager.get("/review/accounts").get_data(as_text=True)
    assert "The failed tries of 192.0.2.50 are cleared" in page and "192.0.2.50</td>" not in page
    (entry,) = _audit("sign_in_unlock")
    assert entry.actor == MANAGER and entry.address == "127.0.0.1"
    assert entry.detail == "scope=address address=192.0.2.50 failures=5 waiting_until=2026-11-28T09:01:00Z"
    assert _sign_in(guesser, PRACTITIONER, address="192.0.2.50").status_code == 303


def test_a_manager_unlocks_an_account(app: Any) -> None:
    for n in range(10):
        _sign_in(app.test_client(), PRACTITIONER, "guess-number-1", address=f"192.0.2.{n}")
    assert _sign_in(app.test_client(), PRACTITIONER, address="192.0.2.3").status_code == 429
    manager, token = _signed_in(app, MANAGER)
    html = manager.get("/review/accounts").get_data(as_text=True)
    assert "10 since" in html and 'name="key" value="pat@example.org"' in html
    manager.post("/review/accounts/unlock", data={"csrf_token": token, "scope": "account", "key": PRACTITIONER})
    (entry,) = _audit("sign_in_unlock")
    assert entry.detail.startswith("scope=account user=") and "email=pat@example.org failures=10" in entry.detail
    assert _sign_in(app.test_client(), PRACTITIONER, address="192.0.2.3").status_code == 303
    again = manager.post("/review/accounts/unlock", data={"csrf_token": token, "scope": "account",
                                                          "key": PRACTITIONER})
    assert "There were no failed tries to clear for pat@example.org" in manager.get(
        again.headers["Location"]).get_data(as_text=True)
    assert len(_audit("sign_in_unlock")) == 1, "nothing lifted, nothing audited"


def test_unlock_refuses_what_is_not_an_account_or_an_address(app: Any) -> None:
    manager, token = _signed_in(app, MANAGER)
    for data in ({"scope": "everyone", "key": "x"}, {"scope": "account", "key": ""}):
        assert manager.post("/review/accounts/unlock", data={"csrf_token": token, **data}).status_code == 400
    missing = manager.post("/review/accounts/unlock", data={"csrf_token": token, "scope": "account",
                                                            "key": "nobody@example.org"})
    assert missing.status_code == 404 and not _audit("sign_in_unlock")


def test_the_accounts_page_is_for_managers(app: Any) -> None:
    practitioner, token = _signed_in(app, PRACTITIONER)
    assert practitioner.get("/review/accounts").status_code == 403
    assert practitioner.post("/review/accounts/unlock", data={"csrf_token": token, "scope": "address",
                                                              "key": "127.0.0.1"}).status_code == 403
    assert 'href="/review/accounts"' not in practitioner.get("/review/").get_data(as_text=True)


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(app: Any) -> None:
    client, _ = _signed_in(app, MANAGER)
    users.disable_user(MANAGER)
    assert _is_sign_in_redirect(client.get("/review/audit"), "/review/audit")
    html = _sign_in(app.test_client(), MANAGER).get_data(as_text=True)
    assert "This account cannot be used any more" in html
    wrong = _sign_in(app.test_client(), MANAGER, "not-the-password-at-all").get_data(as_text=True)
    assert "The email or password is not right" in wrong, "only the right password learns it is disabled"


# --- sessions ----------------------------------------------------------------------------------


def test_the_session_ends_after_the_idle_time(app: Any, clock: Clock) -> None:
    client, _ = _signed_in(app, MANAGER)
    clock.move(minutes=29)
    assert client.get("/review/audit").status_code == 200
    clock.move(minutes=29)
    assert client.get("/review/audit").status_code == 200, "each request restarts the idle time"
    clock.move(minutes=30, seconds=1)
    assert _is_sign_in_redirect(client.get("/review/audit"), "/review/audit")
    clock.move(minutes=-60)
    assert _is_sign_in_redirect(client.get("/review/audit"), "/review/audit"), "ended, not paused"
    (event,) = _audit("sign_out")
    assert event.actor == MANAGER and "reason=idle" in event.detail


def test_an_idle_end_is_explained_on_the_sign_in_page(app: Any, clock: Clock) -> None:
    client, _ = _signed_in(app, MANAGER)
    clock.move(minutes=31)
    response = client.get("/review/audit")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because the workspace was not used for 30 minutes" in page


def test_sign_out_ends_the_session_at_once(app: Any) -> None:
    client, token = _signed_in(app, MANAGER)
    cookie = client.get_cookie("msp_session").value
    response = client.post("/review/sign-out", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == SIGN_IN
    assert _is_sign_in_redirect(client.get("/review/audit"), "/review/audit")
    again = app.test_client()
    again.set_cookie("msp_session", cookie)
    assert _is_sign_in_redirect(again.get("/review/audit"), "/review/audit"), "the old id is gone from the store"
    (event,) = _audit("sign_out")
    assert event.actor == MANAGER and event.address == "127.0.0.1" and "reason=signed_out" in event.detail


def test_sign_out_needs_a_post(app: Any) -> None:
    client, _ = _signed_in(app, MANAGER)
    assert client.get("/review/sign-out").status_code == 405
    assert client.get("/review/audit").status_code == 200


# --- the person's chat and the workspace do not mix --------------------------------------------


def test_a_persons_chat_session_cannot_open_the_workspace(app: Any) -> None:
    client = app.test_client()
    token = invitations.sign(invitations.new_invitation("NR-2026-0042", "outcomes", "person"), SECRET)
    page = client.get(f"/start/{token}").get_data(as_text=True)
    assert client.post(f"/start/{token}", data={"csrf_token": _csrf(page)}).status_code == 303
    with client.session_transaction() as session:
        assert session.get("cid") and "review" not in session
    for path in ("/review/", "/review/audit", "/review/enquiries"):
        assert _is_sign_in_redirect(client.get(path), path)
    # With a good CSRF token from this very session, signing out is still not for a person's chat.
    token = _csrf(client.get(SIGN_IN).get_data(as_text=True))
    assert client.post("/review/sign-out", data={"csrf_token": token}).status_code == 401
    with client.session_transaction() as session:
        assert session.get("cid"), "the chat goes on"


def test_signing_in_leaves_nothing_of_a_chat_behind(app: Any) -> None:
    client = app.test_client()
    token = invitations.sign(invitations.new_invitation("NR-2026-0042", "outcomes", "person"), SECRET)
    page = client.get(f"/start/{token}").get_data(as_text=True)
    client.post(f"/start/{token}", data={"csrf_token": _csrf(page)})
    assert _sign_in(client, MANAGER).status_code == 303
    with client.session_transaction() as session:
        assert "cid" not in session and "opening" not in session
        assert session["review"]["email"] == MANAGER


def test_workspace_errors_get_workspace_pages(app: Any) -> None:
    client, _ = _signed_in(app, PRACTITIONER)
    html = client.get("/review/audit").get_data(as_text=True)
    assert "Only managers can use this page" in html and "social worker" not in html
    assert audit_store.list_events().total >= 1


# --- Flask-Login -------------------------------------------------------------------------------


def test_flask_login_knows_the_signed_in_user_and_the_chat_pages_do_not(app: Any, clock: Clock) -> None:
    """Sign-in goes through Flask-Login; a workspace session is neither seen nor kept alive by the chat."""
    from flask_login import LoginManager, current_user

    from bot.web.workspace import WorkspaceUser

    @app.get("/_who")
    def who() -> str:
        return "anonymous" if current_user.is_anonymous else current_user.email

    client, _ = _signed_in(app, MANAGER)
    assert client.get("/_who").get_data(as_text=True) == "anonymous", "the chat's pages see no workspace user"
    assert isinstance(app.login_manager, LoginManager)
    clock.move(minutes=20)
    client.get("/")  # the chat's home page does not count as workspace use
    clock.move(minutes=11)
    assert _is_sign_in_redirect(client.get("/review/audit"), "/review/audit"), "idle: 31 minutes in the workspace"
    assert WorkspaceUser(1, MANAGER, users.MANAGER).get_id() == "1"


def test_manager_only_is_login_required_too() -> None:
    """The role decorator sits on Flask-Login's login_required: someone not signed in never reaches the role."""
    from bot.web.workspace import manager_only

    def view() -> str:
        return "secret"

    marked = manager_only(view)
    assert marked.__wrapped__.__wrapped__ is view  # login_required(wraps(view)(role check))
