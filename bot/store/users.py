"""Workspace accounts and their failed sign-ins, as rows: the reads and writes, and nothing that decides.

The rules (which password will do, argon2id, when a try must wait, whether a
sign-in is let in) are bot/accounts/'s. It calls these functions, and changes
the counters this module hands it inside the transactions it opens, so the
SQL stays here. Emails are kept in lower case, one account each. Failed
sign-ins are counted in table sign_in_failures, per address and per account
(`scope`), so every web process sees the same counts. Times are naive UTC,
like every timestamp in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.store.audit import add_audit
from bot.store.db import session_scope
from bot.store.models import SignInFailure, User, utcnow

PRACTITIONER = "practitioner"
MANAGER = "manager"
ROLES: Tuple[str, ...] = (PRACTITIONER, MANAGER)

# Where failures are counted (SignInFailure.scope).
ADDRESS = "address"
ACCOUNT = "account"
SCOPES: Tuple[str, ...] = (ADDRESS, ACCOUNT)

EMAIL_MAX = 255
ADDRESS_MAX = 64


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
class WaitView:
    """Failures counted at an account or an address, and the wait they began (if it is not over)."""

    scope: str
    key: str  # the account's email, or the address
    failures: int
    since: datetime
    last_failure_at: datetime
    waiting_until: Optional[datetime]
    user_id: Optional[int] = None  # the account's id (scope account only)


def view(user: User) -> UserView:
    return UserView(id=user.id, email=user.email, role=user.role, active=bool(user.active),
                    created_at=user.created_at, last_sign_in_at=user.last_sign_in_at)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# --- accounts ----------------------------------------------------------------------------------


def insert_user(email: str, password_hash: str, role: str) -> UserView:
    """A new account with a checked email and a hash already made; UserError when the email has one."""
    try:
        with session_scope() as session:
            if session.execute(select(User.id).where(User.email == email)).first() is not None:
                raise UserError(f"There is already an account for {email}")
            user = User(email=email, password_hash=password_hash, role=role, active=True, created_at=utcnow(),
                        failed_sign_ins=0)
            session.add(user)
            session.flush()
            return view(user)
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
        return view(user)


def set_password_hash(email: str, password_hash: str) -> UserView:
    """A new password's hash. It also clears the account's count of failures."""
    with session_scope() as session:
        user = _get_by_email(session, email)
        user.password_hash = password_hash
        clear_account(session, normalise_email(email))
        return view(user)


def list_users() -> List[UserView]:
    with session_scope() as session:
        return [view(u) for u in session.execute(select(User).order_by(User.email)).scalars()]


def get_user(user_id: int) -> Optional[UserView]:
    with session_scope() as session:
        user = session.get(User, user_id)
        return view(user) if user is not None else None


def user_row(session: Session, user_id: int) -> Optional[User]:
    """The account's row in the caller's transaction (no lock), for a sign-in to finish on."""
    return session.get(User, user_id)


def account_hash(email: str) -> Optional[Tuple[int, str]]:
    """(the account's id, its password hash), or None when the email has no account. No row lock."""
    with session_scope() as session:
        found = session.execute(select(User.id, User.password_hash).where(User.email == email)).first()
    return None if found is None else (int(found.id), str(found.password_hash))


# --- the counters of failed sign-ins ---------------------------------------------------------


def _ensure_rows(session: Session, scope: str, keys: List[str], now: datetime,
                 stale_before: datetime) -> None:
    """The counter rows exist (made at 0 if not), whoever else makes them at the same moment.

    When one is new, other rows with no failure since `stale_before` are removed, so a stream of
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
        session.execute(delete(SignInFailure).where(SignInFailure.last_failure_at < stale_before,
                                                    SignInFailure.key.notin_(keys)))


def locked_counter(session: Session, scope: str, key: str, now: datetime,
                   stale_before: datetime) -> SignInFailure:
    """One counter, made if need be and locked for this short transaction (PostgreSQL: FOR UPDATE;
    SQLite: the write lock the insert took)."""
    _ensure_rows(session, scope, [key], now, stale_before)
    row: SignInFailure = session.execute(_row(scope, key).with_for_update()).scalar_one()
    return row


def drop_counter(session: Session, row: SignInFailure) -> None:
    session.delete(row)


def _row(scope: str, key: str) -> Select:
    return select(SignInFailure).where(SignInFailure.scope == scope, SignInFailure.key == key)


def clear_account(session: Session, email: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.scope == ACCOUNT, SignInFailure.key == email))


def address_blocked_until(address: str) -> Optional[datetime]:
    """The end of the address's wait, as stored (it may be over). One indexed read, no lock, no write."""
    with session_scope() as session:
        return session.execute(select(SignInFailure.blocked_until)
                               .where(SignInFailure.scope == ADDRESS, SignInFailure.key == address)
                               ).scalar_one_or_none()


def counted_failures() -> List[WaitView]:
    """Every counter with failures, `waiting_until` as stored (it may be over, the count forgotten).

    Emails with no account are left out: there is nobody to let in, and a typed email may be anything.
    """
    with session_scope() as session:
        rows = session.execute(
            select(SignInFailure, User.id).outerjoin(
                User, (SignInFailure.scope == ACCOUNT) & (User.email == SignInFailure.key))
            .where(SignInFailure.failures > 0)
        ).all()
        return [WaitView(row.scope, row.key, int(row.failures), row.window_started_at, row.last_failure_at,
                         row.blocked_until, user_id)
                for row, user_id in rows if row.scope != ACCOUNT or user_id is not None]


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
