"""The records from the terminal: `msp invite`, `export`, `seed-demo` and `transcript`."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.cli.args import audit as _audit
from bot.settings import load_settings


def cmd_invite(args: argparse.Namespace) -> int:
    """Print a signed invitation link, alone on a line."""
    from bot.store import invitations as store
    from bot.web import invitations

    settings = load_settings()
    try:
        invitation = invitations.new_invitation(args.enquiry, args.stage, args.role)
        url = invitations.link(invitation, settings.secret_key, settings.public_base_url)
    except (ValueError, RuntimeError) as exc:
        print(f"Could not make the link: {exc}", file=sys.stderr)
        return 2
    actor = getpass.getuser()
    store.record_invitation(
        invitation.invite_id, invitation.enquiry_ref, invitation.stage, invitation.role, actor
    )
    _audit("invite", f"enquiry={invitation.enquiry_ref} stage={invitation.stage} role={invitation.role} "
                     f"invite={invitation.invite_id}")
    print(url)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Stream the records (contract v2) to stdout, batch by batch: memory stays flat."""
    from bot.report import export as written
    from bot.store import export

    if args.with_transcript and (not args.enquiry or args.format != "json"):
        print("--with-transcript is for one enquiry (a subject access request): it needs --enquiry REF "
              "and --format json.", file=sys.stderr)
        return 2
    total = export.count_records(enquiry_ref=args.enquiry)
    _audit("export", f"format={args.format} enquiry={args.enquiry or '*'} records={total}"
                     + (" with_transcript=yes" if args.with_transcript else ""))
    if args.with_transcript:
        from bot.store.privacy import with_transcripts

        chunks = written.json_chunks(with_transcripts(export.iter_records(enquiry_ref=args.enquiry),
                                                     load_settings().tracker_store_url))
    else:
        stream = written.stream_json if args.format == "json" else written.stream_csv
        chunks = stream(enquiry_ref=args.enquiry)
    for chunk in chunks:
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Fill the configured database with made-up enquiries; refuse one that holds real records."""
    from sqlalchemy.engine import make_url
    from tqdm import tqdm

    from bot.cli import demo
    from bot.store import db
    from bot.store.migrate import upgrade

    url = db.configured_url() or load_settings().database_url
    where = make_url(url).render_as_string(hide_password=True)
    if args.enquiries < 1:
        print("--enquiries must be 1 or more.", file=sys.stderr)
        return 2
    upgrade(url)
    db.configure(url)
    with tqdm(total=args.enquiries, desc="Demo enquiries", unit="enquiry", file=sys.stderr,
              disable=None) as bar:
        try:
            result = demo.seed_demo(args.enquiries, seed=args.seed, progress=bar.update,
                                    actor=getpass.getuser())
        except demo.RealRecordsPresent:
            bar.close()
            print(
                f"Refusing to seed {where}: it holds real records (a conversation whose id does not "
                f"start with '{demo.DEMO_ID_PREFIX}'). Demo enquiries go only into an empty or demo-only "
                "database. Point DATABASE_URL at a new one, for example:\n"
                "  DATABASE_URL=sqlite:///var/demo.db msp seed-demo --enquiries 1000",
                file=sys.stderr,
            )
            return 2
    print(
        f"Added {result.enquiries} demo enquiries ({result.first_ref} to {result.last_ref}): "
        f"{result.conversations} conversations, {result.outcomes} wishes, {result.alerts} alerts, "
        f"{result.corrections} corrections, in {where}"
    )
    return 0


def cmd_transcript(args: argparse.Namespace) -> int:
    from bot.store.transcripts import read_transcript

    settings = load_settings()
    turns = read_transcript(settings.tracker_store_url, args.conversation_id)
    _audit("transcript", f"conversation={args.conversation_id} turns={len(turns)}")
    if not turns:
        print(f"No conversation found with id {args.conversation_id!r}.", file=sys.stderr)
        return 1
    for turn in turns:
        who = "Person   " if turn.speaker == "person" else "Assistant"
        note = f"  [{turn.question}]" if turn.speaker == "person" and turn.question else ""
        text = turn.text
        if turn.opened and text.startswith("/start"):
            text = f"(chat opened: {text[len('/start'):] or 'no details'})"
        elif turn.pressed:  # a button: its title, never the command behind it
            text = f"(pressed) {text}"
        print(f"{turn.iso}  {who}: {text}{note}")
        if turn.buttons:
            print(" " * 33 + "buttons: " + " | ".join(turn.buttons))
    return 0


