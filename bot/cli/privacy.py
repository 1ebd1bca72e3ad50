"""`msp erase` and `msp retention`: removing what we hold about people, from the terminal.

`msp erase --enquiry REF | --conversation ID` removes everything stored about
an enquiry (every conversation of it) or one conversation, after showing what
will go and asking for the reference or id to be typed back (`--yes` skips
the question, for scripts). `msp retention` shows what is past the retention
period; `--apply` removes those conversations' words. Both are audited, the
actor being the operating-system user who ran the command.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli.args import iso_date


def cmd_erase(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.store import privacy

    tracker = load_settings().tracker_store_url
    typed_name = "enquiry reference" if args.enquiry else "conversation id"
    wanted = (args.enquiry or args.conversation or "").strip()
    try:
        plan = privacy.plan_erasure(args.enquiry, args.conversation, tracker_store_url=tracker)
    except privacy.ErasureRefused as problem:
        print(f"Cannot erase: {problem}. Nothing was removed.", file=sys.stderr)
        return 2
    if not plan.found:
        print(f"Nothing is stored for {plan.target}. Nothing was removed.", file=sys.stderr)
        return 1
    if not args.yes:
        print(f"This removes, for good, everything stored about {plan.target}:")
        for line in plan.lines():
            print(f"  {line}")
        print("The audit log keeps its entries (references, ids, who and when; never what was said).")
        try:
            typed = input(f"To erase it, type the {typed_name} ({wanted}) again: ")
        except EOFError:
            typed = ""
        if typed.strip() != wanted:
            print("That was not the same. Nothing was removed.", file=sys.stderr)
            return 1
    try:
        done = privacy.erase(args.enquiry, args.conversation, actor=getpass.getuser(),
                             tracker_store_url=tracker)
    except privacy.ErasureRefused as problem:
        print(f"Cannot erase: {problem}. Nothing was removed.", file=sys.stderr)
        return 2
    print(f"Erased {done.target}. Removed:")
    for line in done.lines():
        print(f"  {line}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.store import retention

    settings = load_settings()
    try:
        due = retention.retention_due(args.now, settings.retention_months)
    except ValueError as problem:
        print(f"{problem}.", file=sys.stderr)
        return 2
    print(f"Retention: {due.months} months from a conversation's last activity (RETENTION_MONTHS).")
    print(f"Cut-off: {due.cutoff:%Y-%m-%d} (conversations last active before this day are due).")
    print(f"Due: {due.conversations} conversation(s) in {due.enquiries} enquiry(ies).")
    print(f"Words already removed on earlier runs: {due.already_removed} conversation(s).")
    if not args.apply:
        if due.conversations:
            print("Run `msp retention --apply` to remove their words. Codes, answers, statuses, flags, "
                  "dates and alerts stay, so the report's counts do not change.")
        return 0
    result = retention.apply_retention(args.now, settings.retention_months, actor=getpass.getuser(),
                                       tracker_store_url=settings.tracker_store_url, batch=args.batch)
    print(f"Removed the words of {result.conversations} conversation(s): {result.outcomes} wish(es)' own "
          f"words, {result.comments} comment(s), {result.tracker_events} transcript event(s) "
          f"(in {result.batches} batch(es)).")
    return 0


def add_commands(sub: Any) -> None:
    """Add `erase` and `retention` to the `msp` parser's subcommands."""
    erase = sub.add_parser("erase", help="remove everything stored about an enquiry or a conversation")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("--enquiry", help="enquiry reference: every conversation of it, both stages")
    target.add_argument("--conversation", help="one conversation id")
    erase.add_argument("--yes", action="store_true",
                       help="do not ask for the reference or id to be typed back (for scripts)")
    erase.set_defaults(func=cmd_erase)

    retention = sub.add_parser(
        "retention", help="show the conversations past RETENTION_MONTHS; --apply removes their words")
    retention.add_argument("--apply", action="store_true", help="remove the words of the conversations due")
    retention.add_argument("--now", type=iso_date, help="count from this day instead of today (YYYY-MM-DD)")
    retention.add_argument("--batch", type=int, default=500, help="conversations per commit (default 500)")
    retention.set_defaults(func=cmd_retention)
