"""When a sign-in must wait: failed tries counted per address and per account, and the waits they begin.

Whether a try must wait is decided first, in a short transaction on the
counters (bot/store/users.py), before any password is checked: a try that
must wait is answered at once (with the seconds to wait) and costs no argon2
and no worker thread held in a sleep. The policy cannot be turned against an
account's owner:

- An address may fail SIGNIN_ADDRESS_FAILURES times, then waits
  SIGNIN_WAIT_MINUTES, twice as long after each further failure, at most
  SIGNIN_WAIT_MAX_MINUTES.
- After SIGNIN_ACCOUNT_FAILURES failures at one account (from anywhere), only
  the addresses that have failed wait a short SIGNIN_WAIT_MINUTES for it. An
  address with no failures always gets its try, so the owner signs in from
  their own address whatever someone else does with their email.
- Counts are forgotten after SIGNIN_WINDOW_MINUTES with no failure and no
  wait; the right password clears its account's count. A manager can lift any
  wait at once (the workspace's Sign-in waits page, or `msp user unlock`:
  `bot.store.users.unlock`), and that is audited.

A try is counted as a failure when it is let through, and given back if the
password was right, so fifty tries at once cannot all slip in before the
first failure is written. `address_wait` answers "must this address wait?"
with one read and no lock, for the web app to turn most tries away before any
other work (how many checks may run at once in a web process is the web
app's business: SIGNIN_CONCURRENT_CHECKS, bot/web/workspace).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy.orm import Session

from bot.settings import Settings, load_settings
from bot.store import users
from bot.store.models import SignInFailure
from bot.store.users import ACCOUNT, ADDRESS, WaitView


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

    def stale_before(self, now: datetime) -> datetime:
        """Counters with no failure since then are past any wait and the window: nobody needs them."""
        return now - self.forget_after - timedelta(minutes=self.wait_max_minutes)


def policy(settings: Optional[Settings]) -> Policy:
    return Policy.from_settings(settings or load_settings())


@dataclass(frozen=True)
class Ticket:
    """What letting one try through did to the counters, so a right password can give it back."""

    address: str
    email: str
    began: Tuple[Tuple[str, int, datetime], ...] = ()  # waits this try would begin if it fails
    address_wait: Optional[datetime] = None  # the wait it set on the address, if any

    def retry_after(self, now: datetime) -> int:
        return max((_seconds(until - now) for _, _, until in self.began), default=0)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _forgotten(failures: int, last_failure_at: datetime, blocked_until: Optional[datetime], now: datetime,
               policy: Policy) -> bool:
    """Quiet for the window since the last failure, or since the wait ended if it was longer."""
    quiet_since = max(last_failure_at, blocked_until or last_failure_at)
    return bool(failures) and now >= quiet_since + policy.forget_after


def _waiting(blocked_until: Optional[datetime], now: datetime) -> Optional[datetime]:
    return blocked_until if blocked_until is not None and blocked_until > now else None


def _locked_row(session: Session, scope: str, key: str, now: datetime, policy: Policy) -> SignInFailure:
    """One counter, locked for this short transaction, started afresh when quiet for the window."""
    row = users.locked_counter(session, scope, key, now, policy.stale_before(now))
    if _forgotten(row.failures, row.last_failure_at, row.blocked_until, now, policy):
        row.failures = 0
        row.blocked_until = None
    return row


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


def let_through(session: Session, address: str, email: str, now: datetime,
                policy: Policy) -> Tuple[Optional[int], Optional[Ticket]]:
    """(seconds to wait, None) when this try must wait; else (None, ticket), the try counted as failed.

    Never reads the users table: an email with an account and one without take the same path.
    The address's row is always locked before the account's, so two tries cannot deadlock.
    """
    by_address = _locked_row(session, ADDRESS, address, now, policy)
    until = _waiting(by_address.blocked_until, now)
    if until is not None:
        return _seconds(until - now), None
    by_account = _locked_row(session, ACCOUNT, email, now, policy)
    until = _waiting(by_account.blocked_until, now)
    if until is not None and by_address.failures > 0:  # an address that never failed always gets its try
        return _seconds(until - now), None
    began = []
    address_wait = _count(by_address, now, policy)
    if address_wait is not None:
        began.append((ADDRESS, int(by_address.failures), address_wait))
    account_wait = _count(by_account, now, policy)
    if account_wait is not None:
        began.append((ACCOUNT, int(by_account.failures), account_wait))
    return None, Ticket(address, email, tuple(began), address_wait)


def give_back(session: Session, ticket: Ticket, now: datetime, policy: Policy) -> None:
    """The password was right: the address gets its try back, and the account's count is cleared."""
    by_address = _locked_row(session, ADDRESS, ticket.address, now, policy)
    if by_address.failures:
        by_address.failures -= 1
    if ticket.address_wait is not None and by_address.blocked_until == ticket.address_wait:
        by_address.blocked_until = None  # the wait this try set, and nobody's since
    if not by_address.failures and by_address.blocked_until is None:
        users.drop_counter(session, by_address)
    users.clear_account(session, ticket.email)


def address_wait(address: Optional[str], now: datetime) -> int:
    """Seconds this address must still wait (0: none). One indexed read, no lock, no write.

    For turning tries away cheaply before anything else; `sign_in` decides again, under its lock.
    """
    until = users.address_blocked_until((address or "-")[:users.ADDRESS_MAX])
    return _seconds(until - now) if until is not None and until > now else 0


def failures(now: datetime, settings: Optional[Settings] = None) -> List[WaitView]:
    """Accounts and addresses with failures still counted, those waiting first, then the most failures.

    Emails with no account are left out (the store's `counted_failures`); so are counts now forgotten,
    since the next try starts afresh.
    """
    rules = policy(settings)
    found = [replace(w, waiting_until=_waiting(w.waiting_until, now)) for w in users.counted_failures()
             if not _forgotten(w.failures, w.last_failure_at, w.waiting_until, now, rules)]
    found.sort(key=lambda v: (v.waiting_until is None, -v.failures, v.scope, v.key))
    return found
