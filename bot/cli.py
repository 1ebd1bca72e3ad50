"""The `msp` command: run the assistant, chat to it, and read what it recorded."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import uuid
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from bot import constants as c
from bot.cli_args import iso_date
from bot.settings import VAR_DIR, load_settings

if TYPE_CHECKING:
    from bot.store.alerts import AlertView


def _audit(action: str, detail: str) -> None:
    from bot.store import records

    records.record_audit(getpass.getuser(), action, detail)


def cmd_migrate(_: argparse.Namespace) -> int:
    from bot.store.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    print(f"Records database is up to date: {settings.database_url}")
    return 0


NO_CHANNEL_WARNING = (
    "Warning: no duty alert channel is set (DUTY_ALERT_WEBHOOK_URL, or DUTY_ALERT_EMAIL with "
    "SMTP_HOST). Urgent alerts are stored but not sent; people are asked to call the council themselves."
)
NO_OUT_OF_HOURS_WARNING = (
    "Warning: no out-of-hours channel is set (OUT_OF_HOURS_WEBHOOK_URL, or OUT_OF_HOURS_EMAIL with "
    "SMTP_HOST). An urgent alert nobody acknowledges in {minutes:g} minutes is escalated, but the "
    "escalation has nowhere to go: it is stored, not sent."
)


def _warn_channels(settings: Any) -> None:
    """Say at start where alerts cannot go: no duty channel, no out-of-hours channel."""
    from bot.alerts.channels import out_of_hours_channels

    if not settings.alert_channels:
        print(NO_CHANNEL_WARNING, file=sys.stderr, flush=True)
    if not out_of_hours_channels(settings):
        print(NO_OUT_OF_HOURS_WARNING.format(minutes=settings.alert_escalate_minutes), file=sys.stderr,
              flush=True)


def _shown(url: str) -> str:
    """A database or Redis URL fit for a terminal or a journal: no password."""
    if url.startswith(("redis://", "rediss://")):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.password:
            host = parts.netloc.rsplit("@", 1)[-1]
            return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_serve(_: argparse.Namespace) -> int:
    """Run every part in the foreground; start again any child that dies; stop all on Ctrl-C/SIGTERM."""
    from bot.runner import Services

    settings = load_settings()
    _warn_channels(settings)
    for name, value in (("SECRET_KEY", settings.secret_key),
                        ("WEB_CHANNEL_SECRET", settings.web_channel_secret)):
        if not value:
            print(f"{name} is not set: run `msp setup` (make run does) or set it in .env.", file=sys.stderr)
            return 1
    # One pid file per stack (its Rasa port): a crashed run on these ports is cleared up on the next start.
    services = Services(settings, pid_file=VAR_DIR / f"serve-{settings.rasa_port}.pids")
    stopping = False

    def _stop(signum: int, _frame: Optional[FrameType]) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nStopping the assistant...", flush=True)
            services.stop()
            sys.exit(0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    from bot.store.key_check import check_keys
    from bot.store.migrate import upgrade

    upgrade(settings.database_url)
    check_keys(settings)  # a missing or wrong key stops us here, before anyone talks
    instances = settings.rasa_instances
    print("Starting the assistant (this takes a minute while the model loads)...", flush=True)
    try:
        services.start()
        services.wait_ready()
    except RuntimeError as exc:
        services.stop()
        print(f"The assistant could not start: {exc}", file=sys.stderr)
        return 1
    rasa = services.rasa_url if instances == 1 else f"{services.rasa_urls[0]} ... {services.rasa_urls[-1]}"
    actions = services.actions_url if instances == 1 else (
        f"{services.actions_urls[0]} ... {services.actions_urls[-1]}")
    locks = (f"Redis {_shown(settings.lock_store_url)}, {settings.lock_lifetime_s} s at most"
             if settings.lock_store_url else "in memory (one instance)")
    print(
        "\nThe assistant is running.\n"
        f"  Chat page:    {services.web_url}   (people open it with a link from `msp invite`)\n"
        f"  Talk to it:   make chat   (or POST {services.rasa_url}/webhooks/rest/webhook with the\n"
        "                token, or X-MSP-Signature signed with WEB_CHANNEL_SECRET)\n"
        f"  HTTP API:     {rasa}  (token below)\n"
        f"  Actions:      {actions}\n"
        + (f"  Instances:    {instances} (instance k: Rasa on RASA_PORT+k, actions on ACTIONS_PORT+k)\n"
           if instances > 1 else "")
        + f"  Duty alerts:  {', '.join(settings.alert_channels) or 'none set (stored, not sent)'}\n"
        f"  Records:      {_shown(settings.database_url)}\n"
        f"  Conversations: {_shown(settings.tracker_store_url)}\n"
        f"  Locks:        {locks}\n"
        + (f"  API token (generated, set RASA_AUTH_TOKEN to fix it): {settings.rasa_auth_token}\n"
           if settings.token_generated else "  API token: from RASA_AUTH_TOKEN\n")
        + "Press Ctrl-C to stop.",
        flush=True,
    )
    who, code = services.supervise()
    services.stop()
    print(f"The {who} process keeps stopping (last exit {code}); stopping the assistant.", file=sys.stderr)
    return 1


def cmd_part(args: argparse.Namespace) -> int:
    """Become one part of the assistant (for systemd units that run each part on its own)."""
    from bot.runner import part_command

    try:
        command, env = part_command(load_settings(), args.part, args.instance)
    except ValueError as exc:
        print(f"msp part: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execve(command[0], command, env)  # this process becomes the part: systemd watches it directly
    return 1  # not reached


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    settings = load_settings()
    sender = args.sender or f"chat-{uuid.uuid4().hex[:8]}"
    opening: Dict[str, str] = {"stage": args.stage}
    if args.enquiry:
        opening["enquiry_ref"] = args.enquiry
    if args.role:
        opening["role"] = args.role
    return run_chat(settings, sender, "/start" + json.dumps(opening))


def cmd_export(args: argparse.Namespace) -> int:
    """Stream the records (contract v2) to stdout, batch by batch: memory stays flat."""
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

        chunks = export.json_chunks(with_transcripts(export.iter_records(enquiry_ref=args.enquiry),
                                                     load_settings().tracker_store_url))
    else:
        stream = export.stream_json if args.format == "json" else export.stream_csv
        chunks = stream(enquiry_ref=args.enquiry)
    for chunk in chunks:
        sys.stdout.write(chunk)
    sys.stdout.flush()
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Fill the configured database with made-up enquiries; refuse one that holds real records."""
    from sqlalchemy.engine import make_url
    from tqdm import tqdm

    from bot.store import db, demo
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


ALERT_COLUMNS = (
    "id", "raised_at", "kind", "reason", "follows", "route", "enquiry_ref", "conversation_id", "delivery",
    "attempts", "last_error", "acknowledged", "escalated_at",
)


def _alert_row(alert: AlertView) -> Dict[str, Any]:
    """One alert as `msp alerts` shows it: ids, kind, why, route, times and delivery, never words.

    `follows`: the first alert of the chain a follow-up belongs to. `escalated_at`, on a first
    alert: when nobody had acknowledged it in time and it went to the out-of-hours team.
    """
    def iso(moment: Optional[datetime]) -> Optional[str]:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

    return {
        "id": alert.id,
        "raised_at": iso(alert.raised_at),
        "kind": alert.kind,
        "reason": alert.reason,
        "follows_alert_id": alert.follows_alert_id,
        "route": alert.route,
        "enquiry_ref": alert.enquiry_ref,
        "conversation_id": alert.conversation_id,
        "stage": alert.stage,
        "message_id": alert.message_id,
        "safe_contact": alert.safe_contact,
        "delivery": alert.delivery,
        "attempts": alert.attempts,
        "channels_done": list(alert.channels_done),
        "sent_at": iso(alert.sent_at),
        "last_error": alert.last_error,
        "acknowledged": alert.acknowledged_at is not None,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": iso(alert.acknowledged_at),
        "escalated_at": iso(alert.escalated_at),
    }


def render_alerts(rows: List[Dict[str, Any]]) -> str:
    """Plain aligned columns, oldest first, for the duty team to read at a glance."""
    if not rows:
        return "No alerts match.\n"

    def cell(row: Dict[str, Any], column: str) -> str:
        value = row["follows_alert_id"] if column == "follows" else row[column]
        if column == "acknowledged":
            return f"yes, by {row['acknowledged_by']}" if value else "no"
        if column in ("raised_at", "escalated_at") and value:
            return str(value).replace("T", " ").rstrip("Z")
        return "-" if value is None or value == "" else str(value)

    table = [[cell(row, col) for col in ALERT_COLUMNS] for row in rows]
    heads = [col.replace("_", " ") for col in ALERT_COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in table]
    open_count = sum(1 for row in rows if not row["acknowledged"])
    lines.append(f"\n{len(rows)} alert(s), {open_count} not acknowledged. Times are UTC.")
    return "\n".join(lines) + "\n"


def cmd_alerts(args: argparse.Namespace) -> int:
    from bot.store import alerts

    found = alerts.list_alerts(delivery=args.delivery, open_only=args.open)
    rows = [_alert_row(a) for a in found]
    _audit("alerts", f"format={args.format} delivery={args.delivery or '*'} "
                     f"open={'yes' if args.open else 'no'} alerts={len(rows)}")
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_alerts(rows))
    return 0


def cmd_send_alerts(_: argparse.Namespace) -> int:
    from bot.alerts.sender import main as sender_main

    _warn_channels(load_settings())
    return sender_main()


def cmd_setup(_: argparse.Namespace) -> int:
    """Write the secrets every process must share into .env, once (make run does this)."""
    from bot.settings import SECRET_PURPOSES, ensure_env_secrets

    for name in ensure_env_secrets():
        print(f"Wrote a new {name} into .env. Keep it secret: {SECRET_PURPOSES[name]}.")
    return 0


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


def cmd_web(_: argparse.Namespace) -> int:
    from bot.web.serve import main as serve_web

    return serve_web()


def cmd_report(args: argparse.Namespace) -> int:
    from bot.report import run_report

    return run_report(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the records database").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser(
        "serve", help="run the Rasa and action servers and the duty alert sender"
    ).set_defaults(func=cmd_serve)

    sub.add_parser("setup", help="write missing secrets (SECRET_KEY, WEB_CHANNEL_SECRET...) into .env"
                   ).set_defaults(func=cmd_setup)
    part = sub.add_parser("part", help="run one part alone (systemd units: deploy/systemd/)")
    part.add_argument("part", choices=["rasa", "actions", "web", "sender"])
    part.add_argument("--instance", type=int, default=0,
                      help="rasa/actions: instance K (port RASA_PORT+K / ACTIONS_PORT+K); web: WEB_PORT+K")
    part.set_defaults(func=cmd_part)
    sub.add_parser("web", help="run only the web app (the chat page)").set_defaults(func=cmd_web)

    invite = sub.add_parser("invite", help="print a signed link that opens a conversation for an enquiry")
    invite.add_argument("--enquiry", required=True, help="enquiry reference, e.g. NR-2026-0042")
    invite.add_argument("--stage", choices=c.STAGES, default=c.STAGE_OUTCOMES)
    invite.add_argument("--role", choices=c.ROLES, default=c.ROLE_PERSON)
    invite.set_defaults(func=cmd_invite)

    chat = sub.add_parser("chat", help="talk to the running assistant in this terminal")
    chat.add_argument("--sender", help="conversation id (to resume one)")
    chat.add_argument("--stage", choices=c.STAGES, default=c.STAGE_OUTCOMES)
    chat.add_argument("--enquiry", help="enquiry reference, e.g. NR-2026-0042")
    chat.add_argument("--role", choices=c.ROLES)
    chat.set_defaults(func=cmd_chat)

    export = sub.add_parser("export", help="print the records (record contract v2)")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--enquiry", help="only this enquiry reference")
    export.add_argument("--with-transcript", action="store_true",
                        help="subject access: add each conversation's transcript (needs --enquiry, JSON)")
    export.set_defaults(func=cmd_export)

    seed = sub.add_parser(
        "seed-demo", help="fill an empty or demo-only database with made-up enquiries (DEMO-...)"
    )
    seed.add_argument("--enquiries", type=int, required=True, help="how many enquiries to add")
    seed.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same records")
    seed.set_defaults(func=cmd_seed_demo)

    transcript = sub.add_parser("transcript", help="print one conversation, turn by turn")
    transcript.add_argument("conversation_id")
    transcript.set_defaults(func=cmd_transcript)

    report = sub.add_parser("report", help="MSP figures (SG4a) for a period")
    report.add_argument("--from", dest="date_from", type=iso_date)
    report.add_argument("--to", dest="date_to", type=iso_date)
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.add_argument("--chart", help="also draw a bar chart to this PNG file")
    report.set_defaults(func=cmd_report)

    alerts = sub.add_parser("alerts", help="list duty alerts and how far each got")
    alerts.add_argument("--delivery", choices=c.DELIVERIES, help="only alerts in this delivery state")
    alerts.add_argument("--open", action="store_true", help="only alerts not yet acknowledged")
    alerts.add_argument("--format", choices=("table", "json"), default="table")
    alerts.set_defaults(func=cmd_alerts)

    sub.add_parser(
        "send-alerts", help="send duty alerts in the foreground (msp serve already runs this)"
    ).set_defaults(func=cmd_send_alerts)

    from bot.cli_workspace import add_commands  # msp user ..., msp audit

    add_commands(sub)
    from bot.cli_privacy import add_commands as add_privacy_commands  # msp erase, msp retention

    add_privacy_commands(sub)
    from bot.cli_keys import add_commands as add_key_commands  # msp rotate-key

    add_key_commands(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from bot.store.crypto import EncryptionKeyProblem

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EncryptionKeyProblem as problem:
        print(f"Stopped: {problem}. Put the keys in MSP_ENCRYPTION_KEYS (newest first) and try again.",
              file=sys.stderr)
        return 3
    except BrokenPipeError:
        # `msp transcript ID | head`: the reader has gone, which is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
