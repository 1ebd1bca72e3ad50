"""Workspace accounts: practitioners and managers who may sign in at /review. No Flask here.

There are no default accounts: `msp user add` makes each one. Passwords are
hashed with argon2id (argon2-cffi's PasswordHasher defaults) and rehashed at
the next sign-in when those parameters change. Following NCSC guidance, a new
password must be long enough and must not be one of the most common
passwords, or a thin disguise of one ("Password123!", "p@ssw0rd"); we use
the list of 30,000 common passwords that the zxcvbn package bundles, offline.

Failed sign-ins are slowed down (a growing wait before the answer) and, after
SIGNIN_MAX_FAILURES in a row, the account is locked for SIGNIN_LOCK_MINUTES,
even to the right password. An email with no account is answered in the same
time and the same way, down to the lock, so nobody can learn who has one.
Times are naive UTC, like every timestamp in the store.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable, FrozenSet, List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.settings import Settings, load_settings
from bot.store.db import session_scope
from bot.store.models import User, utcnow

PRACTITIONER = "practitioner"
MANAGER = "manager"
ROLES: Tuple[str, ...] = (PRACTITIONER, MANAGER)

# What verify() can answer.
OK = "ok"
BAD = "bad"  # wrong email or wrong password: never which
LOCKED = "locked"
DISABLED = "disabled"  # only said to someone who gave the right password

EMAIL_MAX = 255
PASSWORD_MAX = 1024  # argon2 takes any length; this only stops a megabyte "password" tying up a worker
MAX_DELAY_S = 5.0  # the wait before a failed answer grows per failure up to this

# argon2id with argon2-cffi's defaults (RFC 9106's low-memory choice). Only configuration: no state.
_hasher = PasswordHasher()


class UserError(ValueError):
    """Why an account could not be added or changed, in words for the person doing it."""


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    role: str
    active: bool
    created_at: datetime
    last_sign_in_at: Optional[datetime]
    failed_sign_ins: int
    locked_until: Optional[datetime]


@dataclass(frozen=True)
class SignInResult:
    status: str  # OK, BAD, LOCKED or DISABLED
    user: Optional[UserView] = None  # only when status is OK
    failures: int = 0  # failed sign-ins in a row, this one included
    locked_until: Optional[datetime] = None
    just_locked: bool = False  # this failure locked the account (worth its own audit entry)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    lock_minutes: float = 15.0
    delay_s: float = 0.5
    min_length: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(max_failures=max(1, settings.signin_max_failures),
                   lock_minutes=settings.signin_lock_minutes,
                   delay_s=max(0.0, settings.signin_delay_s),
                   min_length=settings.password_min_length)

    def delay(self, failures: int) -> float:
        return min(self.delay_s * max(1, failures), MAX_DELAY_S)


def _policy(settings: Optional[Settings]) -> Policy:
    return Policy.from_settings(settings or load_settings())


def _view(user: User) -> UserView:
    return UserView(id=user.id, email=user.email, role=user.role, active=bool(user.active),
                    created_at=user.created_at, last_sign_in_at=user.last_sign_in_at,
                    failed_sign_ins=user.failed_sign_ins or 0, locked_until=user.locked_until)


# --- emails and passwords ----------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _checked_email(email: str) -> str:
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > EMAIL_MAX:
        raise UserError("Enter an email address like name@example.org")
    return email


@lru_cache(maxsize=1)
def common_passwords() -> FrozenSet[str]:
    """zxcvbn's list of the 30,000 most common passwords (lower case), loaded the first time it is needed."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


# Common disguises: l33t letters, and digits or symbols stuck on either end.
_LEET = (str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s",
                        "7": "t", "+": "t"}),
         str.maketrans({"@": "a", "4": "a", "3": "e", "1": "l", "|": "l", "0": "o", "$": "s", "5": "s",
                        "7": "t"}))
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_MIN_WORD = 4  # shorter list words ("abc", "a") are not matched inside a longer password


def _repeated(word: str, common: FrozenSet[str]) -> bool:
    """"qwertyqwerty", "aaaaaaaaaaaa": a short unit, or a common one, said again and again."""
    for size in range(1, len(word) // 2 + 1):
        if len(word) % size == 0 and word[:size] * (len(word) // size) == word:
            return size < _MIN_WORD or word[:size] in common
    return False


def is_common(password: str) -> bool:
    """The password is on the common list, or is a list word with digits, symbols or l33t letters added."""
    common = common_passwords()
    lower = password.lower()
    if lower in common or lower.strip() in common:
        return True
    core = _ENDS.sub("", lower)
    if not core:
        # Digits and symbols only: "123456789012" is "123456789" with more of the same.
        return _repeated(lower, common) or any(lower[:end] in common for end in range(6, len(lower) + 1))
    for candidate in {core, *(core.translate(table) for table in _LEET)}:
        if len(candidate) >= _MIN_WORD and (candidate in common or _repeated(candidate, common)):
            return True
    return _repeated(lower, common)


def password_problem(password: str, min_length: int, email: str = "") -> Optional[str]:
    """Why this password will not do, or None."""
    if len(password) < min_length:
        return f"Use a password of at least {min_length} characters"
    if len(password) > PASSWORD_MAX:
        return f"Use a password of at most {PASSWORD_MAX} characters"
    if is_common(password):
        return "That password is too common and easy to guess. Try three random words together"
    name = normalise_email(email).split("@")[0]
    if len(name) >= _MIN_WORD and name in password.lower():
        return "Do not use your email address in your password"
    return None


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify_hash(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when an email has no account, so that answer takes as long as any other."""
    return _hash("no account has this password, it only takes time")


# --- accounts ----------------------------------------------------------------------------------


def add_user(email: str, password: str, role: str, settings: Optional[Settings] = None) -> UserView:
    """Make an account. Emails are kept in lower case; one account per email."""
    if role not in ROLES:
        raise UserError(f"The role must be one of: {', '.join(ROLES)}")
    email = _checked_email(email)
    problem = password_problem(password, _policy(settings).min_length, email)
    if problem:
        raise UserError(problem)
    hashed = _hash(password)
    try:
        with session_scope() as session:
            if session.execute(select(User.id).where(User.email == email)).first() is not None:
                raise UserError(f"There is already an account for {email}")
            user = User(email=email, password_hash=hashed, role=role, active=True, created_at=utcnow(),
                        failed_sign_ins=0)
            session.add(user)
            session.flush()
            return _view(user)
    except IntegrityError as exc:  # two adds at once: the unique constraint decides
        raise UserError(f"There is already an account for {email}") from exc


def _get_by_email(session: Session, email: str) -> User:
    user = session.execute(
        select(User).where(User.email == normalise_email(email)).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        raise UserError(f"There is no account for {normalise_email(email)}")
    return user


def disable_user(email: str) -> UserView:
    """The account can no longer sign in; its sessions end at their next request. Kept for the audit trail."""
    with session_scope() as session:
        user = _get_by_email(session, email)
        user.active = False
        return _view(user)


def set_password(email: str, password: str, settings: Optional[Settings] = None) -> UserView:
    """A new password, checked like a first one. It also lifts a lock."""
    email = normalise_email(email)
    problem = password_problem(password, _policy(settings).min_length, email)
    if problem:
        raise UserError(problem)
    hashed = _hash(password)
    with session_scope() as session:
        user = _get_by_email(session, email)
        user.password_hash = hashed
        user.failed_sign_ins = 0
        user.locked_until = None
        return _view(user)


def list_users() -> List[UserView]:
    with session_scope() as session:
        return [_view(u) for u in session.execute(select(User).order_by(User.email)).scalars()]


def get_user(user_id: int) -> Optional[UserView]:
    with session_scope() as session:
        user = session.get(User, user_id)
        return _view(user) if user is not None else None


# --- signing in --------------------------------------------------------------------------------


class _Strangers:
    """Failed sign-ins for emails with no account, counted like real ones so the lock gives nothing away.

    In memory and bounded: it only has to look the same as a real account to
    someone trying emails, not survive a restart.
    """

    LIMIT = 10_000

    def __init__(self) -> None:
        self._seen: "OrderedDict[str, Tuple[int, Optional[datetime]]]" = OrderedDict()
        self._lock = threading.Lock()

    def fail(self, email: str, now: datetime, policy: Policy) -> SignInResult:
        with self._lock:
            failures, until = self._seen.pop(email, (0, None))
            if until is not None and until > now:
                self._seen[email] = (failures, until)
                return SignInResult(LOCKED, failures=failures, locked_until=until)
            failures = 0 if until is not None else failures
            failures += 1
            just_locked = failures >= policy.max_failures
            until = now + timedelta(minutes=policy.lock_minutes) if just_locked else None
            self._seen[email] = (failures, until)
            while len(self._seen) > self.LIMIT:
                self._seen.popitem(last=False)
        if just_locked:
            return SignInResult(LOCKED, failures=failures, locked_until=until, just_locked=True)
        return SignInResult(BAD, failures=failures)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


_strangers = _Strangers()


def _check(user: User, password: str, now: datetime, policy: Policy) -> SignInResult:
    if user.locked_until is not None and user.locked_until > now:
        _verify_hash(user.password_hash, password)  # the same time as any other answer; the answer is no
        return SignInResult(LOCKED, failures=user.failed_sign_ins or 0, locked_until=user.locked_until)
    if user.locked_until is not None:  # the lock is over: count afresh
        user.locked_until = None
        user.failed_sign_ins = 0
    if not _verify_hash(user.password_hash, password):
        user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
        if user.failed_sign_ins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            return SignInResult(LOCKED, failures=user.failed_sign_ins, locked_until=user.locked_until,
                                just_locked=True)
        return SignInResult(BAD, failures=user.failed_sign_ins)
    if not user.active:
        return SignInResult(DISABLED)
    user.failed_sign_ins = 0
    user.last_sign_in_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hash(password)
    return SignInResult(OK, user=_view(user))


def verify(email: str, password: str, now: datetime, settings: Optional[Settings] = None,
           sleep: Callable[[float], None] = time.sleep) -> SignInResult:
    """Check a sign-in. A failed one waits before answering (longer after each failure in a row)."""
    policy = _policy(settings)
    email = normalise_email(email)[:EMAIL_MAX]
    password = password[:PASSWORD_MAX]
    with session_scope() as session:
        # Locked for update: two guesses at once cannot both be counted as the first.
        user = session.execute(select(User).where(User.email == email).with_for_update()).scalar_one_or_none()
        if user is None:
            _verify_hash(_dummy_hash(), password)
            result = _strangers.fail(email, now, policy)
        else:
            result = _check(user, password, now, policy)
    if result.status in (BAD, LOCKED) and policy.delay_s > 0:
        sleep(policy.delay(result.failures or policy.max_failures))
    return result
