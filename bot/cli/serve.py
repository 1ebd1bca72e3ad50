"""Running the assistant: `msp migrate`, `setup`, `serve`, `part`, `web` and `send-alerts`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType
from typing import Any, Optional

from bot.settings import VAR_DIR, load_settings


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


def cmd_send_alerts(_: argparse.Namespace) -> int:
    from bot.alerts.sender import main as sender_main

    _warn_channels(load_settings())
    return sender_main()


def cmd_setup(_: argparse.Namespace) -> int:
    """Write the secrets every process must share into .env, once (make run does this)."""
    from bot.settings.env_file import SECRET_PURPOSES, ensure_env_secrets

    for name in ensure_env_secrets():
        print(f"Wrote a new {name} into .env. Keep it secret: {SECRET_PURPOSES[name]}.")
    return 0


def cmd_web(_: argparse.Namespace) -> int:
    from bot.web.serve import main as serve_web

    return serve_web()


