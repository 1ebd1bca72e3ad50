"""Workspace accounts: practitioners and managers who may sign in at /review. No Flask here.

There are no default accounts: `msp user add` makes each one. Passwords are
hashed with argon2id (argon2-cffi's PasswordHasher defaults) and rehashed at
the next sign-in when those parameters change. Following NCSC guidance, a new
password must be long enough and must not be one of the most common
passwords, or a thin disguise of one ("Password123!", "p@ssw0rd"); we use
the list of 30,000 common passwords that the zxcvbn package bundles, offline.

Failed sign-ins are counted in the database (table sign_in_failures), per
address and per account, so every web process sees the same counts. Whether
a try must wait is decided first, in a short transaction on those counters,
before any password is checked: a try that must wait is answered at once
(THROTTLED, with the seconds to wait) and costs no argon2 and no worker thread
held in a sleep. The policy cannot be turned against an account's owner:

- An address may fail SIGNIN_ADDRESS_FAILURES times, then waits
  SIGNIN_WAIT_MINUTES, twice as long after each further failure, at most
  SIGNIN_WAIT_MAX_MINUTES.
- After SIGNIN_ACCOUNT_FAILURES failures at one account (from anywhere), only
  the addresses that have failed wait a short SIGNIN_WAIT_MINUTES for it. An
  address with no failures always gets its try, so the owner signs in from
  their own address whatever someone else does with their email.
- Counts are forgotten after SIGNIN_WINDOW_MINUTES with no failure and no
  wait; the right password clears its account's count. A manager can lift any
  wait at once (the workspace's Sign-in waits page, or `msp user unlock`),
  and that is audited.

A try is counted as a failure when it is let through, and given back if the
password was right, so fifty tries at once cannot all slip in before the
first failure is written. An email with no account is counted, checked
against a dummy hash and answered exactly like one with an account.
`address_wait` answers "must this address wait?" with one read and no lock,
for the web app to turn most tries away before any other work (how many
checks may run at once in a web process is the web app's business:
SIGNIN_CONCURRENT_CHECKS, bot/web/workspace). Times are naive UTC, like every
timestamp in the store.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import FrozenSet, List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.settings import Settings, load_settings
from bot.store.db import session_scope
from bot.store.models import SignInFailure, User, utcnow
from bot.store.records import add_audit

PRACTITIONER = "practitioner"
MANAGER = "manager"
ROLES: Tuple[str, ...] = (PRACTITIONER, MANAGER)

# What sign_in() can answer.
OK = "ok"
BAD = "bad"  # wrong email or wrong password: never which
THROTTLED = "throttled"  # too many failures: wait `retry_after` seconds; nothing was checked
DISABLED = "disabled"  # only said to someone who gave the right password

# Where failures are counted (SignInFailure.scope).
ADDRESS = "address"
ACCOUNT = "account"
SCOPES: Tuple[str, ...] = (ADDRESS, ACCOUNT)

EMAIL_MAX = 255
ADDRESS_MAX = 64
PASSWORD_MAX = 1024  # argon2 takes any length; this only stops a megabyte "password" tying up a worker

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


@dataclass(frozen=True)
class SignInResult:
    status: str  # OK, BAD, THROTTLED or DISABLED
    user: Optional[UserView] = None  # only when status is OK
    # Seconds until the next try is let through (THROTTLED, or a BAD that began a wait); 0: now.
    retry_after: int = 0
    # Waits this failure began, as (scope, failures counted, until): each worth its own audit entry.
    began: Tuple[Tuple[str, int, datetime], ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class Policy:
    window_minutes: float = 15.0
    address_failures: int = 10
    account_failures: int = 20
    wait_minutes: float = 1.0
    wait_max_minutes: float = 15.0
    min_length: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> "Policy":
        return cls(window_minutes=settings.signin_window_minutes,
                   address_failures=max(1, settings.signin_address_failures),
                   account_failures=max(1, settings.signin_account_failures),
                   wait_minutes=settings.signin_wait_minutes,
                   wait_max_minutes=max(settings.signin_wait_minutes, settings.signin_wait_max_minutes),
                   min_length=settings.password_min_length)

    def wait(self, scope: str, failures: int) -> Optional[timedelta]:
        """How long the next try waits once this many failures are counted; None: it need not.

        An address waits after its limit, twice as long after each further failure (capped). An
        account's wait is short and never grows: it only ever applies to addresses that have failed.
        """
        if scope == ADDRESS:
            over = failures - self.address_failures
            if over < 0:
                return None
            minutes = min(self.wait_minutes * 2 ** min(over, 30), self.wait_max_minutes)
            return timedelta(minutes=minutes)
        return timedelta(minutes=self.wait_minutes) if failures >= self.account_failures else None

    @property
    def forget_after(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


def _policy(settings: Optional[Settings]) -> Policy:
    return Policy.from_settings(settings or load_settings())


def _view(user: User) -> UserView:
    return UserView(id=user.id, email=user.email, role=user.role, active=bool(user.active),
                    created_at=user.created_at, last_sign_in_at=user.last_sign_in_at)


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
    """A new password, checked like a first one. It also clears the account's count of failures."""
    email = normalise_email(email)
    problem = password_problem(password, _policy(settings).min_length, email)
    if problem:
        raise UserError(problem)
    hashed = _hash(password)
    with session_scope() as session:
        user = _get_by_email(session, email)
        user.password_hash = hashed
        _clear_account(session, email)
        return _view(user)


def list_users() -> List[UserView]:
    with session_scope() as session:
        return [_view(u) for u in session.execute(select(User).order_by(User.email)).scalars()]


def get_user(user_id: int) -> Optional[UserView]:
    with session_scope() as session:
        user = session.get(User, user_id)
        return _view(user) if user is not None else None


# --- signing in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ticket:
    """What letting one try through did to the counters, so a right password can give it back."""

    address: str
    email: str
    began: Tuple[Tuple[str, int, datetime], ...] = ()  # waits this try would begin if it fails
    address_wait: Optional[datetime] = None  # the wait it set on the address, if any

    def retry_after(self, now: datetime) -> int:
        return max((_seconds(until - now) for _, _, until in self.began), default=0)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _ensure_rows(session: Session, scope: str, keys: List[str], now: datetime, policy: Policy) -> None:
    """The counter rows exist (made at 0 if not), whoever else makes them at the same moment.

    When one is new, rows quiet for longer than any wait and the window are removed, so a stream of
    made-up emails cannot grow the table without end.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    made = session.execute(
        insert(SignInFailure)
        .values([{"scope": scope, "key": key, "failures": 0, "window_started_at": now, "last_failure_at": now}
                 for key in keys])
        .on_conflict_do_nothing(index_elements=["scope", "key"])
    ).rowcount
    if made:
        stale = now - policy.forget_after - timedelta(minutes=policy.wait_max_minutes)
        session.execute(delete(SignInFailure).where(SignInFailure.last_failure_at < stale,
                                                    SignInFailure.key.notin_(keys)))


def _locked_row(session: Session, scope: str, key: str, now: datetime, policy: Policy) -> SignInFailure:
    """One counter, locked for this short transaction (PostgreSQL: FOR UPDATE; SQLite: the write lock
    the insert took), and started afresh when it has been quiet for the window."""
    _ensure_rows(session, scope, [key], now, policy)
    row: SignInFailure = session.execute(_row(scope, key).with_for_update()).scalar_one()
    if _forgotten(row, now, policy):
        row.failures = 0
        row.blocked_until = None
    return row


def _row(scope: str, key: str) -> Select:
    return select(SignInFailure).where(SignInFailure.scope == scope, SignInFailure.key == key)


def _forgotten(row: SignInFailure, now: datetime, policy: Policy) -> bool:
    """Quiet for the window since the last failure, or since the wait ended if it was longer."""
    quiet_since = max(row.last_failure_at, row.blocked_until or row.last_failure_at)
    return bool(row.failures) and now >= quiet_since + policy.forget_after


def _clear_account(session: Session, email: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.scope == ACCOUNT, SignInFailure.key == email))


def _waiting(row: SignInFailure, now: datetime) -> Optional[datetime]:
    return row.blocked_until if row.blocked_until is not None and row.blocked_until > now else None


def _count(row: SignInFailure, now: datetime, policy: Policy) -> Optional[datetime]:
    """Count one more failure; returns the wait it begins for the next try, if any."""
    if not row.failures:
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now
    wait = policy.wait(row.scope, row.failures)
    if wait is None:
        return None
    row.blocked_until = max(row.blocked_until or now, now + wait)
    return row.blocked_until


def _let_through(session: Session, address: str, email: str, now: datetime,
                 policy: Policy) -> Tuple[Optional[int], Optional[_Ticket]]:
    """(seconds to wait, None) when this try must wait; else (None, ticket), the try counted as failed.

    Never reads the users table: an email with an account and one without take the same path.
    The address's row is always locked before the account's, so two tries cannot deadlock.
    """
    by_address = _locked_row(session, ADDRESS, address, now, policy)
    until = _waiting(by_address, now)
    if until is not None:
        return _seconds(until - now), None
    by_account = _locked_row(session, ACCOUNT, email, now, policy)
    until = _waiting(by_account, now)
    if until is not None and by_address.failures > 0:  # an address that never failed always gets its try
        return _seconds(until - now), None
    began = []
    address_wait = _count(by_address, now, policy)
    if address_wait is not None:
        began.append((ADDRESS, int(by_address.failures), address_wait))
    account_wait = _count(by_account, now, policy)
    if account_wait is not None:
        began.append((ACCOUNT, int(by_account.failures), account_wait))
    return None, _Ticket(address, email, tuple(began), address_wait)


def _give_back(session: Session, ticket: _Ticket, now: datetime, policy: Policy) -> None:
    """The password was right: the address gets its try back, and the account's count is cleared."""
    by_address = _locked_row(session, ADDRESS, ticket.address, now, policy)
    if by_address.failures:
        by_address.failures -= 1
    if ticket.address_wait is not None and by_address.blocked_until == ticket.address_wait:
        by_address.blocked_until = None  # the wait this try set, and nobody's since
    if not by_address.failures and by_address.blocked_until is None:
        session.delete(by_address)
    _clear_account(session, ticket.email)


def address_wait(address: Optional[str], now: datetime) -> int:
    """Seconds this address must still wait (0: none). One indexed read, no lock, no write.

    For turning tries away cheaply before anything else; `sign_in` decides again, under its lock.
    """
    address = (address or "-")[:ADDRESS_MAX]
    with session_scope() as session:
        until = session.execute(select(SignInFailure.blocked_until)
                                .where(SignInFailure.scope == ADDRESS, SignInFailure.key == address)
                                ).scalar_one_or_none()
    return _seconds(until - now) if until is not None and until > now else 0


def _read_account(email: str) -> Tuple[Optional[int], str]:
    """(the account's id, its hash); (None, a dummy hash) when there is no account. No row lock."""
    with session_scope() as session:
        found = session.execute(select(User.id, User.password_hash).where(User.email == email)).first()
    if found is None:
        return None, _dummy_hash()
    return int(found.id), str(found.password_hash)


def sign_in(email: str, password: str, address: Optional[str], now: datetime,
            settings: Optional[Settings] = None) -> SignInResult:
    """Check a sign-in from `address`. Nothing here sleeps: a try that must wait is told so at once."""
    policy = _policy(settings)
    email = normalise_email(email)[:EMAIL_MAX]
    password = password[:PASSWORD_MAX]
    address = (address or "-")[:ADDRESS_MAX]
    with session_scope() as session:
        wait, ticket = _let_through(session, address, email, now, policy)
    if ticket is None:
        return SignInResult(THROTTLED, retry_after=wait or 1)
    user_id, hashed = _read_account(email)
    right = _verify_hash(hashed, password) and user_id is not None  # argon2, outside any transaction
    if not right:
        return SignInResult(BAD, retry_after=ticket.retry_after(now), began=ticket.began)
    rehashed = _hash(password) if _hasher.check_needs_rehash(hashed) else None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or user.password_hash != hashed:  # removed, or a new password, while we checked
            return SignInResult(BAD, retry_after=ticket.retry_after(now), began=ticket.began)
        _give_back(session, ticket, now, policy)  # the right password is not a guess, even when disabled
        if not user.active:
            return SignInResult(DISABLED)
        user.last_sign_in_at = now
        if rehashed is not None:
            user.password_hash = rehashed
        return SignInResult(OK, user=_view(user))


# --- waits, seen and lifted by managers ---------------------------------------------------------


@dataclass(frozen=True)
class WaitView:
    """Failures counted at an account or an address, and the wait they began (if it is not over)."""

    scope: str
    key: str  # the account's email, or the address
    failures: int
    since: datetime
    last_failure_at: datetime
    waiting_until: Optional[datetime]
    user_id: Optional[int] = None  # the account's id (scope account only)


def failures(now: datetime, settings: Optional[Settings] = None) -> List[WaitView]:
    """Accounts and addresses with failures still counted, those waiting first, then the most failures.

    Emails with no account are left out: there is nobody to let in, and a typed email may be anything.
    """
    policy = _policy(settings)
    found: List[WaitView] = []
    with session_scope() as session:
        rows = session.execute(
            select(SignInFailure, User.id).outerjoin(
                User, (SignInFailure.scope == ACCOUNT) & (User.email == SignInFailure.key))
            .where(SignInFailure.failures > 0)
        ).all()
        for row, user_id in rows:
            if row.scope == ACCOUNT and user_id is None:
                continue
            if _forgotten(row, now, policy):
                continue  # the next try starts afresh
            found.append(WaitView(row.scope, row.key, int(row.failures), row.window_started_at,
                                  row.last_failure_at, _waiting(row, now), user_id))
    found.sort(key=lambda v: (v.waiting_until is None, -v.failures, v.scope, v.key))
    return found


def unlock(scope: str, key: str, actor: str, address: Optional[str] = None) -> Optional[WaitView]:
    """Forget the failures counted at an account (its email) or an address, so its next try goes through.

    Audited as `actor` (from `address`) in the same transaction. Returns what was lifted, or None when
    nothing was counted there. An account must exist (UserError otherwise).
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    key = normalise_email(key) if scope == ACCOUNT else (key or "").strip()
    with session_scope() as session:
        user_id: Optional[int] = None
        if scope == ACCOUNT:
            user_id = session.execute(select(User.id).where(User.email == key)).scalar_one_or_none()
            if user_id is None:
                raise UserError(f"There is no account for {key}")
        row = session.execute(_row(scope, key).with_for_update()).scalar_one_or_none()
        if row is None or (not row.failures and row.blocked_until is None):
            return None
        lifted = WaitView(scope, key, int(row.failures), row.window_started_at, row.last_failure_at,
                          row.blocked_until, user_id)
        session.delete(row)
        until = lifted.waiting_until.strftime("%Y-%m-%dT%H:%M:%SZ") if lifted.waiting_until else "-"
        who = f"user={user_id} email={key}" if scope == ACCOUNT else f"address={key}"
        add_audit(session, actor, "sign_in_unlock",
                  f"scope={scope} {who} failures={lifted.failures} waiting_until={until}", address)
        return lifted
