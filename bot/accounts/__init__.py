"""Workspace accounts: practitioners and managers who may sign in at /review. No Flask here.

The rules above the store's rows (bot/store/users.py): making an account and
changing its password (`add_user`, `set_password`, checked by passwords.py)
and deciding a sign-in (`sign_in`, with lockout.py's waits). The CLI and the
web app both come here; listing, disabling and unlocking accounts are plain
reads and writes, and stay the store's.

There are no default accounts: `msp user add` makes each one. An email with
no account is counted, checked against a dummy hash and answered exactly like
one with an account. Nothing here sleeps: a try that must wait is told so at
once. Times are naive UTC, like every timestamp in the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Tuple

from bot.accounts import lockout, passwords
from bot.settings import Settings
from bot.store import users
from bot.store.db import session_scope
from bot.store.users import ROLES, UserError, UserView

# What sign_in() can answer.
OK = "ok"
BAD = "bad"  # wrong email or wrong password: never which
THROTTLED = "throttled"  # too many failures: wait `retry_after` seconds; nothing was checked
DISABLED = "disabled"  # only said to someone who gave the right password


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


# --- making accounts and changing passwords ------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _checked_email(email: str) -> str:
    email = users.normalise_email(email)
    if not _EMAIL.match(email) or len(email) > users.EMAIL_MAX:
        raise UserError("Enter an email address like name@example.org")
    return email


def _checked_hash(password: str, email: str, settings: Optional[Settings]) -> str:
    """The password's argon2id hash, once it passes the rules; UserError says why not."""
    problem = passwords.password_problem(password, lockout.policy(settings).min_length, email)
    if problem:
        raise UserError(problem)
    return passwords.hash_password(password)


def add_user(email: str, password: str, role: str, settings: Optional[Settings] = None) -> UserView:
    """Make an account. Emails are kept in lower case; one account per email."""
    if role not in ROLES:
        raise UserError(f"The role must be one of: {', '.join(ROLES)}")
    email = _checked_email(email)
    return users.insert_user(email, _checked_hash(password, email, settings), role)


def set_password(email: str, password: str, settings: Optional[Settings] = None) -> UserView:
    """A new password, checked like a first one. It also clears the account's count of failures."""
    email = users.normalise_email(email)
    return users.set_password_hash(email, _checked_hash(password, email, settings))


# --- signing in --------------------------------------------------------------------------------


def _read_account(email: str) -> Tuple[Optional[int], str]:
    """(the account's id, its hash); (None, a dummy hash) when there is no account. No row lock."""
    found = users.account_hash(email)
    return found if found is not None else (None, passwords.dummy_hash())


def sign_in(email: str, password: str, address: Optional[str], now: datetime,
            settings: Optional[Settings] = None) -> SignInResult:
    """Check a sign-in from `address`. Nothing here sleeps: a try that must wait is told so at once."""
    policy = lockout.policy(settings)
    email = users.normalise_email(email)[:users.EMAIL_MAX]
    password = password[:passwords.PASSWORD_MAX]
    address = (address or "-")[:users.ADDRESS_MAX]
    with session_scope() as session:
        wait, ticket = lockout.let_through(session, address, email, now, policy)
    if ticket is None:
        return SignInResult(THROTTLED, retry_after=wait or 1)
    user_id, hashed = _read_account(email)
    right = passwords.verify(hashed, password) and user_id is not None  # argon2, outside any transaction
    if not right or user_id is None:
        return SignInResult(BAD, retry_after=ticket.retry_after(now), began=ticket.began)
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(hashed) else None
    with session_scope() as session:
        user = users.user_row(session, user_id)
        if user is None or user.password_hash != hashed:  # removed, or a new password, while we checked
            return SignInResult(BAD, retry_after=ticket.retry_after(now), began=ticket.began)
        # The right password is not a guess, even when the account is disabled.
        lockout.give_back(session, ticket, now, policy)
        if not user.active:
            return SignInResult(DISABLED)
        user.last_sign_in_at = now
        if rehashed is not None:
            user.password_hash = rehashed
        return SignInResult(OK, user=users.view(user))
