"""The `msp` command: run the assistant, chat to it, and read what it recorded."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Dict, List, Optional

from bot import constants as c
from bot.cli.alerts import cmd_alerts
from bot.cli.args import iso_date
from bot.cli.records import cmd_export, cmd_invite, cmd_seed_demo, cmd_transcript
from bot.cli.serve import cmd_migrate, cmd_part, cmd_send_alerts, cmd_serve, cmd_setup, cmd_web
from bot.settings import VAR_DIR, load_settings


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.cli.chat import run_chat

    settings = load_settings()
    if args.stage == c.STAGE_CHECKIN and not args.enquiry:
        from bot.web.invitations import CHECKIN_NEEDS_ENQUIRY

        print(f"Could not start the chat: {CHECKIN_NEEDS_ENQUIRY} (--enquiry REF).", file=sys.stderr)
        return 2
    sender = args.sender or f"chat-{uuid.uuid4().hex[:8]}"
    opening: Dict[str, str] = {"stage": args.stage}
    if args.enquiry:
        opening["enquiry_ref"] = args.enquiry
    if args.role:
        opening["role"] = args.role
    return run_chat(settings, sender, "/start" + json.dumps(opening))


def cmd_report(args: argparse.Namespace) -> int:
    from bot.cli.report import run_report

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
    report.add_argument("--board-chart", help="also draw the feedback by quarter and the wishes achieved "
                        "by code to this PNG file")
    report.set_defaults(func=cmd_report)

    alerts = sub.add_parser("alerts", help="list duty alerts and how far each got")
    alerts.add_argument("--delivery", choices=c.DELIVERIES, help="only alerts in this delivery state")
    alerts.add_argument("--open", action="store_true", help="only alerts not yet acknowledged")
    alerts.add_argument("--format", choices=("table", "json"), default="table")
    alerts.set_defaults(func=cmd_alerts)

    sub.add_parser(
        "send-alerts", help="send duty alerts in the foreground (msp serve already runs this)"
    ).set_defaults(func=cmd_send_alerts)

    from bot.cli.workspace import add_commands  # msp user ..., msp audit

    add_commands(sub)
    from bot.cli.privacy import add_commands as add_privacy_commands  # msp erase, msp retention

    add_privacy_commands(sub)
    from bot.cli.keys import add_commands as add_key_commands  # msp rotate-key

    add_key_commands(sub)
    from bot.cli.pushes import add_commands as add_push_commands  # msp pushes, msp pushes stop

    add_push_commands(sub)
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
