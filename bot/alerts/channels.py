"""Where a duty alert goes: a webhook (JSON POST) and/or an email.

An alert on the duty route goes to the duty team's webhook and email; an
escalation (route out_of_hours) goes only to the out-of-hours team's. What
travels is ids, a kind, why it was raised, a time and links to the
workspace. Never the person's words, nor their safe-contact answers: email
and chat tools are not safe places for them. Each channel returns None when
the alert went, or a short error (no secrets, no words) when it did not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import quote

import requests

from bot import constants as c
from bot.settings import Settings
from bot.store.alerts import AlertView

TIMEOUT_S = 10.0

# For the duty team, not for the person: what each kind of alert means.
KIND_MEANING = {
    c.FLAG_URGENT_SAFETY: (
        "Urgent safety: a message in this conversation may show that someone is in danger now."
    ),
    c.FLAG_WANTS_HUMAN_CONTACT: "Asked for a person: they would like to talk to someone from the team.",
    c.FLAG_ADVOCACY_NEEDED: (
        "Not urgent. Taking part looks hard: the assistant noticed signs, and offered an advocate. "
        "Decide whether to refer them for one (the workspace's Advocacy list)."
    ),
}
# Not urgent kinds: their headline, when the alert is the first of its chain.
ORDINARY_HEADLINE = {
    c.FLAG_WANTS_HUMAN_CONTACT: "Asked for a person",
    c.FLAG_ADVOCACY_NEEDED: "Taking part looks hard: an advocate may be needed",
}

EMAIL_BODY = """{meaning}
{why}
Enquiry: {enquiry_ref}
Conversation: {conversation_id} ({stage} stage)
Raised at: {raised_at}
Alert: {alert}
{safe_contact}

Open it in the workspace: {link}

This email holds no words from the conversation. Read them in the workspace.
"""

SAFE_CONTACT_GIVEN = "Safe contact: the person has said how to reach them safely. Read it first: {link}"
SAFE_CONTACT_NONE = "Safe contact: no answers yet about how to reach them safely."


def route_channels(settings: Settings, route: str) -> Tuple[str, ...]:
    """The channels configured for a route, in the order they are tried."""
    if route != c.ROUTE_OUT_OF_HOURS:
        return settings.alert_channels
    channels = []
    if settings.out_of_hours_webhook_url:
        channels.append("webhook")
    if settings.out_of_hours_email and settings.smtp_host:
        channels.append("email")
    return tuple(channels)


def out_of_hours_channels(settings: Settings) -> Tuple[str, ...]:
    """Where an escalation goes: the out-of-hours team's webhook and/or email."""
    return route_channels(settings, c.ROUTE_OUT_OF_HOURS)


def _minutes(settings: Settings) -> str:
    return f"{settings.alert_escalate_minutes:g}"


def headline(alert: AlertView, settings: Settings) -> str:
    """What the alert is, in a few plain words (the email subject starts with it)."""
    urgent = alert.kind == c.FLAG_URGENT_SAFETY
    if alert.reason == c.ALERT_REASON_AGAIN:
        return "Follow-up: another danger message" if urgent else "Follow-up: asked for a person again"
    if alert.reason == c.ALERT_REASON_QUICK_EXIT:
        return "Follow-up: the person left the chat quickly"
    if alert.reason == c.ALERT_REASON_ESCALATION:
        return f"Not acknowledged after {_minutes(settings)} minutes: escalated"
    return "Urgent safety" if urgent else ORDINARY_HEADLINE.get(alert.kind, alert.kind)


def _why(alert: AlertView, settings: Settings) -> str:
    """For a follow-up: what happened and which alert it follows."""
    follows = f"alert {alert.follows_alert_id}" if alert.follows_alert_id else "an earlier alert"
    if alert.reason == c.ALERT_REASON_AGAIN:
        if alert.kind == c.FLAG_URGENT_SAFETY:
            return f"Follow-up: another danger message in the same conversation. It follows {follows}."
        return f"Follow-up: they asked for a person again. It follows {follows}."
    if alert.reason == c.ALERT_REASON_QUICK_EXIT:
        return f"The person left the chat quickly with Exit this page. It follows {follows}."
    if alert.reason == c.ALERT_REASON_ESCALATION:
        return (f"Not acknowledged after {_minutes(settings)} minutes: escalated. "
                f"Nobody on the duty team has acknowledged {follows} yet.")
    return ""


def _one_line(value: str) -> str:
    """An id as it may go in a mail header: the client sets the enquiry ref, and a line break
    there would make the email library refuse the whole message."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def payload(alert: AlertView, settings: Settings) -> Dict[str, Any]:
    """The alert as sent: ids, kind, why, time and workspace links only.

    `safe_contact` says only whether the person answered the safe-contact
    questions; the answers stay in the workspace, behind `safe_contact_link`.
    """
    # The conversation id is the client's sender id: quoted, so it stays one path segment.
    link = f"{settings.public_base_url}/review/conversations/{quote(alert.conversation_id, safe='')}"
    return {
        "alert_id": alert.id,
        "kind": alert.kind,
        "reason": alert.reason,
        "follows_alert_id": alert.follows_alert_id,
        "route": alert.route,
        "enquiry_ref": alert.enquiry_ref,
        "conversation_id": alert.conversation_id,
        "stage": alert.stage,
        "raised_at": alert.raised_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "link": link,
        "safe_contact": alert.safe_contact,
        "safe_contact_link": f"{link}#safe-contact" if alert.safe_contact else None,
    }


def _webhook(alert: AlertView, settings: Settings) -> Tuple[str, str]:
    """The address and signing secret of the alert's route."""
    if alert.route == c.ROUTE_OUT_OF_HOURS:
        return settings.out_of_hours_webhook_url, settings.out_of_hours_webhook_secret
    return settings.duty_alert_webhook_url, settings.duty_alert_webhook_secret


def send_webhook(alert: AlertView, settings: Settings) -> Optional[str]:
    """POST the payload as JSON; signed with HMAC-SHA256 of the body when a secret is set."""
    url, secret = _webhook(alert, settings)
    if not url:
        return "no webhook for this route"
    body = json.dumps(payload(alert, settings), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "msp-assistant duty alert"}
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-MSP-Signature"] = f"sha256={digest}"
    return post_body(url, body, headers)


def post_body(url: str, body: bytes, headers: Dict[str, str]) -> Optional[str]:
    """POST `body`: None when the receiver took it (2xx), else a short error (never the body or a secret).

    Shared by the duty webhook and the record push (`pushes.py`)."""
    try:
        # No redirects: requests would follow a 301/302 with a GET, drop the body, and a 200
        # from the new address would count as delivered.
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as exc:
        return type(exc).__name__
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def _recipient(alert: AlertView, settings: Settings) -> str:
    return settings.out_of_hours_email if alert.route == c.ROUTE_OUT_OF_HOURS else settings.duty_alert_email


def build_email(alert: AlertView, settings: Settings) -> EmailMessage:
    """The alert as an email: the same ids, kind, reason, time and links as the webhook, in plain words.

    Built when it is sent, so whether safe-contact answers exist is as of then.
    """
    data = payload(alert, settings)
    enquiry_ref = _one_line(alert.enquiry_ref or "") or "(no reference)"
    message = EmailMessage()
    what = headline(alert, settings)
    message["Subject"] = (f"{what}: enquiry {enquiry_ref}" if alert.reason == c.ALERT_REASON_FIRST
                          else f"{what} (enquiry {enquiry_ref})")
    message["From"] = settings.smtp_from
    message["To"] = _recipient(alert, settings)
    why = _why(alert, settings)
    follows = f" (follows alert {alert.follows_alert_id})" if alert.follows_alert_id else ""
    message.set_content(
        EMAIL_BODY.format(
            meaning=KIND_MEANING.get(alert.kind, alert.kind),
            why=f"{why}\n" if why else "",
            enquiry_ref=enquiry_ref,
            conversation_id=_one_line(alert.conversation_id),
            stage=data["stage"],
            raised_at=data["raised_at"],
            alert=f"{alert.id}{follows}",
            safe_contact=(SAFE_CONTACT_GIVEN.format(link=data["safe_contact_link"]) if alert.safe_contact
                          else SAFE_CONTACT_NONE),
            link=data["link"],
        )
    )
    return message


def send_email(alert: AlertView, settings: Settings) -> Optional[str]:
    """Send through SMTP_HOST; with STARTTLS and a login when they are set."""
    if not _recipient(alert, settings):
        return "no email for this route"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(build_email(alert, settings))
    except (smtplib.SMTPException, OSError) as exc:
        return type(exc).__name__
    return None


CHANNELS: Dict[str, Callable[[AlertView, Settings], Optional[str]]] = {
    "webhook": send_webhook,
    "email": send_email,
}
