"""`msp user` and `msp audit`: workspace accounts and the audit log, from the terminal.

There are no default accounts: a manager (or whoever runs the service) adds
each one here. Every change to an account is audited, the actor being the
operating-system user who ran the command. Passwords are never taken as
arguments (they would sit in the shell's history): they are asked for twice
when the terminal is a person, or read as one line from standard input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from bot.cli.args import audit as _audit
from bot.cli.args import iso, render_table

ROLES = ("practitioner", "manager")  # bot.store.users.ROLES, without importing the store to build the parser


def _read_password() -> Optional[str]:
    """Twice by getpass at a terminal; otherwise one line from stdin (for scripts). None: they differ."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("The same password again: ")
        return first if first == second else None
    return sys.stdin.readline().rstrip("\r\n")


def _with_new_password(change: Callable[[str], Any], failure: str) -> Any:
    """Read a new password and give it to `change`; None, said on stderr, when it cannot be used."""
    from bot.store import users

    password = _read_password()
    if password is None:
        print("The two passwords were not the same. Nothing was changed.", file=sys.stderr)
        return None
    try:
        return change(password)
    except users.UserError as problem:
        print(f"{failure}: {problem}.", file=sys.stderr)
        return None


def cmd_user_add(args: argparse.Namespace) -> int:
    from bot import accounts

    user = _with_new_password(lambda password: accounts.add_user(args.email, password, args.role),
                              "Could not add the account")
    if user is None:
        return 2
    _audit("user_add", f"user={user.id} email={user.email} role={user.role}")
    print(f"Added {user.email} ({user.role}). They can sign in at /review.")
    return 0


def cmd_user_password(args: argparse.Namespace) -> int:
    from bot import accounts

    user = _with_new_password(lambda password: accounts.set_password(args.email, password),
                              "Could not change the password")
    if user is None:
        return 2
    _audit("user_password", f"user={user.id} email={user.email}")
    print(f"Changed the password of {user.email}.")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    """Forget the failed sign-ins counted at an account or an address: its next try is checked at once."""
    from bot.store import users

    scope, key = (users.ADDRESS, args.address) if args.address else (users.ACCOUNT, args.email)
    try:
        lifted = users.unlock(scope, key, getpass.getuser())  # audited in the same transaction
    except users.UserError as problem:
        print(f"Could not unlock: {problem}.", file=sys.stderr)
        return 2
    shown = users.normalise_email(key) if scope == users.ACCOUNT else key.strip()
    if lifted is None:
        print(f"There were no failed sign-ins to clear for {shown}.")
        return 0
    print(f"Cleared {lifted.failures} failed sign-in(s) for {shown}. The next try is checked at once.")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from bot.store import users

    try:
        user = users.disable_user(args.email)
    except users.UserError as problem:
        print(f"Could not disable the account: {problem}.", file=sys.stderr)
        return 2
    _audit("user_disable", f"user={user.id} email={user.email}")
    print(f"Disabled {user.email}. They cannot sign in, and an open session ends at its next page.")
    return 0


def _shown(moment: Optional[datetime], empty: str) -> str:
    return (iso(moment) or empty).replace("T", " ").rstrip("Z")


def cmd_user_list(_: argparse.Namespace) -> int:
    from bot.accounts import lockout
    from bot.store import users
    from bot.store.models import utcnow

    found = users.list_users()
    if not found:
        print("There are no accounts. Add one with: msp user add EMAIL --role manager")
        return 0
    counted = lockout.failures(utcnow())
    by_email = {w.key: w for w in counted if w.scope == users.ACCOUNT}
    rows = []
    for u in found:
        wait = by_email.get(u.email)
        rows.append([u.email, u.role, "yes" if u.active else "no (disabled)",
                     _shown(u.last_sign_in_at, "never"), str(wait.failures) if wait else "0",
                     _shown(wait.waiting_until if wait else None, "-")])
    sys.stdout.write(render_table(["email", "role", "active", "last sign-in", "failed", "waits until"], rows))
    addresses = [w for w in counted if w.scope == users.ADDRESS]
    if addresses:
        print("\nAddresses with failed sign-ins:")
        table = [[w.key, str(w.failures), _shown(w.waiting_until, "-")] for w in addresses]
        sys.stdout.write(render_table(["address", "failed", "waits until"], table))
    print(f"\n{len(found)} account(s). Times are UTC. `msp user unlock EMAIL` (or --address ADDRESS) "
          "lets the next try through at once.")
    return 0


def _event_row(event: Any) -> Dict[str, Any]:
    return {"id": event.id, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "detail": event.detail, "address": event.address}


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.store import audit

    found = audit.list_events(page=1, per_page=args.limit, action=args.action, actor=args.actor)
    rows = [_event_row(e) for e in found.items]
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("No audit entries match.")
        return 0
    table = [[str(r["at"]).replace("T", " ").rstrip("Z"), r["actor"], r["action"], r["address"] or "-",
              r["detail"] or "-"] for r in rows]
    sys.stdout.write(render_table(["at", "actor", "action", "address", "detail"], table))
    print(f"\n{len(rows)} of {found.total} entries, newest first. Times are UTC.")
    return 0


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from exc
    if number < 1:
        raise argparse.ArgumentTypeError("the limit must be 1 or more")
    return number


def add_commands(sub: Any) -> None:
    """Add `user` and `audit` to the `msp` parser's subcommands."""
    user = sub.add_parser("user", help="workspace accounts: add, disable, list, unlock, change a password")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add an account (asks for the password; or one line on stdin)")
    add.add_argument("email")
    add.add_argument("--role", choices=ROLES, required=True)
    add.set_defaults(func=cmd_user_add)
    disable = user_sub.add_parser("disable", help="stop an account signing in")
    disable.add_argument("email")
    disable.set_defaults(func=cmd_user_disable)
    password = user_sub.add_parser("password", help="set a new password (it also clears failed sign-ins)")
    password.add_argument("email")
    password.set_defaults(func=cmd_user_password)
    unlock = user_sub.add_parser("unlock", help="clear the failed sign-ins of an account or an address, so "
                                                "its next try is checked at once (audited)")
    which = unlock.add_mutually_exclusive_group(required=True)
    which.add_argument("email", nargs="?", help="the account's email")
    which.add_argument("--address", help="an address (as the audit log shows it) instead of an account")
    unlock.set_defaults(func=cmd_user_unlock)
    user_sub.add_parser("list", help="list the accounts").set_defaults(func=cmd_user_list)

    audit = sub.add_parser("audit", help="read the audit log, newest first")
    audit.add_argument("--action", help="only this action, e.g. sign_in, export, user_add")
    audit.add_argument("--actor", help="only this actor (an email, or an operating-system user)")
    audit.add_argument("--limit", type=_positive, default=50, help="at most this many entries (default 50)")
    audit.add_argument("--format", choices=("table", "json"), default="table")
    audit.set_defaults(func=cmd_audit)
