"""Workspace accounts: argon2id, NCSC's password rules, the growing wait and the lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Iterator, List

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from bot.settings import load_settings
from bot.store import users
from bot.store.db import get_engine, session_scope
from bot.store.models import User

PASSWORD = "kettle-sunflower-march"
NOW = datetime(2026, 11, 28, 9, 0, 0)


@pytest.fixture(autouse=True)
def no_strangers() -> Iterator[None]:
    users._strangers.clear()
    yield
    users._strangers.clear()


@pytest.fixture
def settings() -> Any:
    return replace(load_settings(), signin_delay_s=0.0, signin_max_failures=5, signin_lock_minutes=15.0,
                   password_min_length=12)


def _hash_of(email: str) -> str:
    with session_scope() as session:
        return str(session.execute(select(User.password_hash).where(User.email == email)).scalar_one())


def test_passwords_are_kept_as_argon2id_hashes(record_db: str, settings: Any) -> None:
    user = users.add_user("Ann@Example.ORG", PASSWORD, users.MANAGER, settings)
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
        users.add_user("ann@example.org", password, users.PRACTITIONER, settings)
    assert users.list_users() == []


@pytest.mark.parametrize("password", [PASSWORD, "correct horse battery staple", "Tr0ub4dor&3xyz",
                                      "839201746251"])
def test_long_uncommon_passwords_are_accepted(record_db: str, settings: Any, password: str) -> None:
    users.add_user("ann@example.org", password, users.PRACTITIONER, settings)
    assert users.verify("ann@example.org", password, NOW, settings).ok


def test_the_minimum_length_comes_from_the_settings(record_db: str, settings: Any) -> None:
    with pytest.raises(users.UserError, match="at least 30 characters"):
        users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, replace(settings, password_min_length=30))


def test_the_email_is_not_the_password(record_db: str, settings: Any) -> None:
    with pytest.raises(users.UserError, match="email"):
        users.add_user("kettlesong@example.org", "kettlesong-march-42", users.PRACTITIONER, settings)


def test_emails_are_one_account_each_whatever_the_case(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    with pytest.raises(users.UserError, match="already an account"):
        users.add_user(" ANN@example.org", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError):
        users.add_user("not an email", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError):
        users.add_user("bob@example.org", PASSWORD, "admin", settings)
    assert [u.email for u in users.list_users()] == ["ann@example.org"]


def test_verify_answers_ok_bad_locked_and_disabled(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    ok = users.verify("ANN@example.org ", PASSWORD, NOW, settings)
    assert ok.ok and ok.user is not None and ok.user.email == "ann@example.org"
    assert users.verify("ann@example.org", "not-the-password", NOW, settings).status == users.BAD
    users.disable_user("ann@example.org")
    assert users.verify("ann@example.org", PASSWORD, NOW, settings).status == users.DISABLED
    assert users.verify("ann@example.org", "not-the-password", NOW, settings).status == users.BAD


def _lockout(email: str, settings: Any) -> List[users.SignInResult]:
    return [users.verify(email, f"wrong-guess-{n}", NOW, settings) for n in range(settings.signin_max_failures)]


def test_the_account_locks_after_the_failures_and_unlocks_after_the_time(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    results = _lockout("ann@example.org", settings)
    assert [r.status for r in results] == [users.BAD] * 4 + [users.LOCKED]
    assert [r.failures for r in results] == [1, 2, 3, 4, 5] and results[-1].just_locked
    assert results[-1].locked_until == NOW + timedelta(minutes=15)
    while_locked = users.verify("ann@example.org", PASSWORD, NOW + timedelta(minutes=14, seconds=59), settings)
    assert while_locked.status == users.LOCKED and not while_locked.just_locked
    after = users.verify("ann@example.org", PASSWORD, NOW + timedelta(minutes=15, seconds=1), settings)
    assert after.ok
    (view,) = users.list_users()
    assert view.failed_sign_ins == 0 and view.last_sign_in_at == NOW + timedelta(minutes=15, seconds=1)


def test_a_success_clears_the_count_of_failures(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    for _ in range(4):
        users.verify("ann@example.org", "wrong-guess", NOW, settings)
    assert users.verify("ann@example.org", PASSWORD, NOW, settings).ok
    assert users.verify("ann@example.org", "wrong-guess", NOW, settings).status == users.BAD


def test_a_new_password_lifts_the_lock(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    _lockout("ann@example.org", settings)
    users.set_password("ann@example.org", "another-long-phrase-here", settings)
    assert users.verify("ann@example.org", "another-long-phrase-here", NOW, settings).ok
    with pytest.raises(users.UserError):
        users.set_password("ann@example.org", "password123456", settings)
    with pytest.raises(users.UserError, match="no account"):
        users.set_password("nobody@example.org", "another-long-phrase-here", settings)


def test_failures_wait_longer_each_time_up_to_a_cap(record_db: str, settings: Any) -> None:
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    slow = replace(settings, signin_delay_s=0.5, signin_max_failures=20)
    waits: List[float] = []
    for _ in range(12):
        users.verify("ann@example.org", "wrong-guess", NOW, slow, sleep=waits.append)
    assert waits[:4] == [0.5, 1.0, 1.5, 2.0] and max(waits) == users.MAX_DELAY_S
    strangers: List[float] = []
    for _ in range(4):
        users.verify("nobody@example.org", "wrong-guess", NOW, slow, sleep=strangers.append)
    assert strangers == waits[:4], "an email with no account waits just as long"
    done: List[float] = []
    users.verify("ann@example.org", PASSWORD, NOW, slow, sleep=done.append)
    assert done == [], "the right password does not wait"


def test_an_unknown_email_takes_a_hash_check_and_locks_like_a_real_one(
    record_db: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: List[str] = []
    real = users._verify_hash
    monkeypatch.setattr(users, "_verify_hash", lambda hashed, password: checked.append(hashed) or real(hashed, password))
    results = _lockout("nobody@example.org", settings)
    assert len(checked) == 5 and all(h.startswith("$argon2id$") for h in checked)
    assert [r.status for r in results] == [users.BAD] * 4 + [users.LOCKED] and results[-1].just_locked
    assert users.verify("nobody@example.org", "x", NOW + timedelta(minutes=16), settings).status == users.BAD


def test_hashes_are_renewed_when_the_parameters_change(
    record_db: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    users.add_user("ann@example.org", PASSWORD, users.PRACTITIONER, settings)
    old = _hash_of("ann@example.org")
    assert "m=8192,t=1,p=1" in old
    monkeypatch.undo()
    assert users.verify("ann@example.org", PASSWORD, NOW, settings).ok
    new = _hash_of("ann@example.org")
    assert new != old and new.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(new)


def test_accounts_and_the_lock_on_postgresql(pg_record_db: str, settings: Any) -> None:
    with get_engine(pg_record_db).begin() as conn:
        conn.execute(text("TRUNCATE users RESTART IDENTITY CASCADE"))
    users.add_user("ann@example.org", PASSWORD, users.MANAGER, settings)
    with pytest.raises(users.UserError, match="already an account"):
        users.add_user("Ann@example.org", PASSWORD, users.MANAGER, settings)
    assert [r.status for r in _lockout("ann@example.org", settings)][-1] == users.LOCKED
    assert users.verify("ann@example.org", PASSWORD, NOW + timedelta(minutes=16), settings).ok
    assert _hash_of("ann@example.org").startswith("$argon2id$")
