"""Workspace accounts: argon2id, NCSC's password rules, and the waits after failed sign-ins.

The waits are counted in the database: the tests that count run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, List

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from bot import accounts
from bot.accounts import lockout, passwords
from bot.settings import load_settings
from bot.store import users
from bot.store.db import get_engine, session_scope
from bot.store.models import AuditEvent, SignInFailure, User

PASSWORD = "kettle-sunflower-march"
NOW = datetime(2026, 11, 28, 9, 0, 0)


HOME = "198.51.100.7"  # the owner's address
ELSEWHERE = "203.0.113.9"  # someone else's


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with small parameters: these tests count checks, they do not time them."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings() -> Any:
    return load_settings().copy(update={"signin_window_minutes": 15.0, "signin_address_failures": 3,
                                        "signin_account_failures": 5, "signin_wait_minutes": 1.0, "signin_wait_max_minutes": 4.0,
                                        "password_min_length": 12})


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("record_db"))
    url = str(request.getfixturevalue("pg_record_db"))
    with get_engine(url).begin() as conn:
        conn.execute(text("TRUNCATE users, sign_in_failures RESTART IDENTITY CASCADE"))
    return url


def _hash_of(email: str) -> str:
    with session_scope() as session:
        return str(session.execute(select(User.password_hash).where(User.email == email)).scalar_one())


def test_passwords_are_kept_as_argon2id_hashes(record_db: str, settings: Any) -> None:
    user = accounts.add_user("Ann@Example.ORG", PASSWORD, users.MANAGER, settings)
    assert user.email == "ann@example.org" and user.role == "manager" and user.active
    hashed = _hash_of("ann@example.org")
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed


@pytest.mark.parametrize("password", [
    "short1!", "elevenchars",  # too short
    "password1234", "Password123!", "P@ssw0rd2024", "qwertyuiop123", "iloveyou2024!!", "123456789012",
    "qwertyqwerty", "aaaaaaaaaaaa", "Liverpool1892!", "monkey12345678", "  password123456  ",
])
def test_short_and_common_passwords_are_refused(record_db: str, settings: Any, password: str) -> None:
    with pytest.raises(users.UserError):
        accounts.add_user("ann@example.org", password, users.PRACTITIONER, settings)
    assert users.list_users() == []


@pytest.mark.parametrize("password", [PASSWORD, "correct horse battery staple", "Tr0ub4dor&3xyz",
                                      "839201746251"])
def test_long_uncommon_passwords_are_accepted(record_db: str, settings: Any, password: str) -> None:
    accounts.add_user("ann@example.org", password, users.PRACTITIONER, settings)
    assert accounts.sign_in("ann@example.org", password, HOME, NOW, settings).ok


def test_the_minimum_length_comes_from_the_settings(record_db: str, settings: Any) -> None:
    with pytest.raises(users.UserError, match="at least 30 characters"):
        accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings.copy(update={"password_min_length": 30}))


def test_the_email_is_not_the_password(record_db: str, settings: Any) -> None:
    with pytest.raises(users.UserError, match="email"):
        accounts.add_user("kettlesong@example.org", "kettlesong-march-42", users.PRACTITIONER, settings)


def test_emails_are_one_account_each_whatever_the_case(record_db: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    with pytest.raises(users.UserError, match="already an account"):
        accounts.add_user(" ANN@example.org", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError):
        accounts.add_user("not an email", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError):
        accounts.add_user("bob@example.org", PASSWORD, "admin", settings)
    assert [u.email for u in users.list_users()] == ["ann@example.org"]


def test_sign_in_answers_ok_bad_and_disabled(store: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    ok = accounts.sign_in("ANN@example.org ", PASSWORD, HOME, NOW, settings)
    assert ok.ok and ok.user is not None and ok.user.email == "ann@example.org"
    assert ok.user.last_sign_in_at == NOW
    assert accounts.sign_in("ann@example.org", "not-the-password", HOME, NOW, settings).status == accounts.BAD
    users.disable_user("ann@example.org")
    assert accounts.sign_in("ann@example.org", PASSWORD, HOME, NOW, settings).status == accounts.DISABLED
    assert accounts.sign_in("ann@example.org", "not-the-password", HOME, NOW, settings).status == accounts.BAD


def _fail(email: str, address: str, when: datetime, settings: Any, times: int = 1) -> List[accounts.SignInResult]:
    return [accounts.sign_in(email, f"wrong-guess-{n}", address, when, settings) for n in range(times)]


def _checks(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every password check (argon2) from now on, by the hash it was checked against."""
    checked: List[str] = []
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda hashed, password: checked.append(hashed) or real(hashed, password))
    return checked


def test_an_address_waits_after_its_failures_and_each_further_failure_doubles_the_wait(
    store: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    results = _fail("ann@example.org", ELSEWHERE, NOW, settings, 3)
    assert [r.status for r in results] == [accounts.BAD] * 3
    assert [r.retry_after for r in results] == [0, 0, 60], "the third failure begins a wait of 1 minute"
    assert results[-1].began == ((users.ADDRESS, 3, NOW + timedelta(minutes=1)),)
    checked = _checks(monkeypatch)
    waiting = accounts.sign_in("ann@example.org", PASSWORD, ELSEWHERE, NOW + timedelta(seconds=30), settings)
    assert waiting.status == accounts.THROTTLED and waiting.retry_after == 30 and not waiting.began
    assert checked == [], "a try that must wait costs no password check, even the right password"
    waits = []
    moment = NOW + timedelta(minutes=1)
    for _ in range(4):
        (result,) = _fail("ann@example.org", ELSEWHERE, moment, settings)
        assert result.status == accounts.BAD
        waits.append(result.retry_after)
        moment += timedelta(seconds=result.retry_after)
    assert waits == [120, 240, 240, 240], "doubled each time, up to SIGNIN_WAIT_MAX_MINUTES"
    assert len(checked) == 4


def test_a_wait_is_decided_without_reading_the_account_or_checking_a_password(
    store: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail("ann@example.org", ELSEWHERE, NOW, settings, 3)

    def never(*_: Any) -> Any:
        raise AssertionError("read the account or checked a password before deciding the wait")

    monkeypatch.setattr(accounts, "_read_account", never)
    monkeypatch.setattr(passwords, "verify", never)
    for email in ("ann@example.org", "nobody@example.org"):
        assert accounts.sign_in(email, PASSWORD, ELSEWHERE, NOW, settings).status == accounts.THROTTLED


def test_the_owner_signs_in_from_their_own_address_whatever_others_do_with_their_email(
    store: str, settings: Any
) -> None:
    """Nobody can keep the owner out: after many failures the account makes only failed addresses wait."""
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    for n in range(5):  # five addresses, one failure each: the account's limit
        (result,) = _fail("ann@example.org", f"192.0.2.{n}", NOW, settings)
    assert result.began == ((users.ACCOUNT, 5, NOW + timedelta(minutes=1)),) and result.retry_after == 60
    again = accounts.sign_in("ann@example.org", PASSWORD, "192.0.2.0", NOW, settings)
    assert again.status == accounts.THROTTLED, "an address that has failed waits for the account"
    assert accounts.sign_in("ann@example.org", PASSWORD, HOME, NOW, settings).ok, "a clean address gets its try"
    assert accounts.sign_in("ann@example.org", PASSWORD, "192.0.2.0", NOW, settings).ok, \
        "the right password cleared the account's count"


def test_the_account_wait_is_short_and_does_not_grow(store: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    moment = NOW
    for n in range(12):
        (result,) = _fail("ann@example.org", f"192.0.2.{n}", moment, settings)
        if n >= 4:
            assert (users.ACCOUNT, n + 1, moment + timedelta(minutes=1)) in result.began
        moment += timedelta(minutes=1)


def test_the_right_password_gives_its_try_back_and_sets_no_wait(store: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    _fail("ann@example.org", HOME, NOW, settings, 2)
    assert accounts.sign_in("ann@example.org", PASSWORD, HOME, NOW, settings).ok, "the third try, and right"
    (address,) = lockout.failures(NOW, settings)
    assert (address.scope, address.key, address.failures, address.waiting_until) == (users.ADDRESS, HOME, 2, None)
    (result,) = _fail("ann@example.org", HOME, NOW, settings)
    assert result.retry_after == 60, "the third failure from the address begins the wait"


def test_an_unknown_email_is_counted_checked_and_answered_like_a_real_one(
    store: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    checked = _checks(monkeypatch)
    real = _fail("ann@example.org", "192.0.2.1", NOW, settings, 4)
    stranger = _fail("nobody@example.org", "192.0.2.2", NOW, settings, 4)
    assert [(r.status, r.retry_after, r.began) for r in real] == [(r.status, r.retry_after, r.began) for r in stranger]
    assert len(checked) == 6 and all(h.startswith("$argon2id$") for h in checked)
    with session_scope() as session:
        keys = set(session.execute(select(SignInFailure.scope, SignInFailure.key)).all())
    assert {(users.ACCOUNT, "ann@example.org"), (users.ACCOUNT, "nobody@example.org")} <= keys
    assert [w.key for w in lockout.failures(NOW, settings) if w.scope == users.ACCOUNT] == ["ann@example.org"], \
        "a typed email with no account is not shown to managers"


def test_counts_are_forgotten_after_a_quiet_window(store: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    _fail("ann@example.org", ELSEWHERE, NOW, settings, 3)
    later = NOW + timedelta(minutes=1 + 15)  # the wait, then the window
    assert lockout.failures(later, settings) == []
    (result,) = _fail("ann@example.org", ELSEWHERE, later, settings)
    assert result.status == accounts.BAD and result.retry_after == 0, "counted from one again"


def test_tries_at_once_cannot_slip_past_the_count(store: str, settings: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty tries from one address at the same moment: three are checked, the rest are told to wait."""
    checked = _checks(monkeypatch)
    results: List[accounts.SignInResult] = []
    start = threading.Barrier(20)

    def attempt(n: int) -> None:
        start.wait()
        results.append(accounts.sign_in(f"user{n % 2}@example.org", "wrong-guess", ELSEWHERE, NOW, settings))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [accounts.BAD] * 3 + [accounts.THROTTLED] * 17
    assert len(checked) == 3


def test_address_wait_reads_the_wait_without_counting_anything(store: str, settings: Any) -> None:
    assert lockout.address_wait(ELSEWHERE, NOW) == 0
    _fail("ann@example.org", ELSEWHERE, NOW, settings, 3)
    assert lockout.address_wait(ELSEWHERE, NOW + timedelta(seconds=15)) == 45
    assert lockout.address_wait(ELSEWHERE, NOW + timedelta(minutes=1)) == 0
    assert lockout.address_wait(HOME, NOW) == 0
    assert [w.failures for w in lockout.failures(NOW, settings) if w.scope == users.ADDRESS] == [3]


def _audit_entries() -> List[AuditEvent]:
    with session_scope() as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())


def test_unlock_forgets_an_account_or_an_address_and_is_audited(store: str, settings: Any) -> None:
    user = accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    _fail("ann@example.org", ELSEWHERE, NOW, settings, 3)  # the address waits
    for n in range(2):
        _fail("ann@example.org", f"192.0.2.{n}", NOW, settings)  # five at the account: it waits too
    assert accounts.sign_in("ann@example.org", PASSWORD, ELSEWHERE, NOW, settings).status == accounts.THROTTLED
    lifted = users.unlock(users.ADDRESS, ELSEWHERE, "mo@example.org", "10.0.0.5")
    assert lifted is not None and lifted.failures == 3 and lifted.waiting_until == NOW + timedelta(minutes=1)
    account = users.unlock(users.ACCOUNT, "ANN@example.org", "mo@example.org", "10.0.0.5")
    assert account is not None and account.failures == 5 and account.user_id == user.id
    assert users.unlock(users.ACCOUNT, "ann@example.org", "mo@example.org") is None, "nothing left to lift"
    with pytest.raises(users.UserError, match="no account"):
        users.unlock(users.ACCOUNT, "nobody@example.org", "mo@example.org")
    entries = [(e.actor, e.action, e.detail, e.address) for e in _audit_entries()]
    assert entries == [
        ("mo@example.org", "sign_in_unlock",
         f"scope=address address={ELSEWHERE} failures=3 waiting_until=2026-11-28T09:01:00Z", "10.0.0.5"),
        ("mo@example.org", "sign_in_unlock",
         f"scope=account user={user.id} email=ann@example.org failures=5 waiting_until=2026-11-28T09:01:00Z",
         "10.0.0.5"),
    ]
    assert accounts.sign_in("ann@example.org", PASSWORD, ELSEWHERE, NOW, settings).ok


def test_a_new_password_clears_the_accounts_count(store: str, settings: Any) -> None:
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    for n in range(5):
        _fail("ann@example.org", f"192.0.2.{n}", NOW, settings)
    accounts.set_password("ann@example.org", "another-long-phrase-here", settings)
    assert [w.scope for w in lockout.failures(NOW, settings)] == [users.ADDRESS] * 5
    assert accounts.sign_in("ann@example.org", "another-long-phrase-here", "192.0.2.0", NOW, settings).ok
    with pytest.raises(users.UserError):
        accounts.set_password("ann@example.org", "password123456", settings)
    with pytest.raises(users.UserError, match="no account"):
        accounts.set_password("nobody@example.org", "another-long-phrase-here", settings)


def test_signing_in_never_sleeps(store: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def no_sleep(_: float) -> None:
        raise AssertionError("a sign-in slept in the request's thread")

    monkeypatch.setattr(time, "sleep", no_sleep)
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    results = _fail("ann@example.org", ELSEWHERE, NOW, settings, 5)
    assert [r.status for r in results] == [accounts.BAD] * 3 + [accounts.THROTTLED] * 2


def test_hashes_are_renewed_when_the_parameters_change(
    record_db: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    accounts.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    old = _hash_of("ann@example.org")
    assert "m=8192,t=1,p=1" in old
    monkeypatch.undo()
    assert accounts.sign_in("ann@example.org", PASSWORD, HOME, NOW, settings).ok
    new = _hash_of("ann@example.org")
    assert new != old and new.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(new)


def test_accounts_on_postgresql(pg_record_db: str, settings: Any) -> None:
    with get_engine(pg_record_db).begin() as conn:
        conn.execute(text("TRUNCATE users, sign_in_failures RESTART IDENTITY CASCADE"))
    accounts.add_user("ann@example.org", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError, match="already an account"):
        accounts.add_user("Ann@example.org", PASSWORD, users.MANAGER, settings)
    assert _hash_of("ann@example.org").startswith("$argon2id$")
