"""Where a duty alert goes: a webhook (JSON POST) and/or an email.

What travels is ids, a kind, a time and a link to the workspace. Never the
person's words: email and chat tools are not safe places for them. Each
channel returns None when the alert went, or a short error (no secrets, no
words) when it did not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Callable, Dict, Optional
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
}

EMAIL_BODY = """{meaning}

Enquiry: {enquiry_ref}
Conversation: {conversation_id} ({stage} stage)
Raised at: {raised_at}

Open it in the workspace: {link}

This email holds no words from the conversation. Read them in the workspace.
"""


def _one_line(value: str) -> str:
    """An id as it may go in a mail header: the client sets the enquiry ref, and a line break
    there would make the email library refuse the whole message."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def payload(alert: AlertView, settings: Settings) -> Dict[str, Any]:
    """The alert as sent: ids, kind, time and a workspace link only."""
    return {
        "alert_id": alert.id,
        "kind": alert.kind,
        "enquiry_ref": alert.enquiry_ref,
        "conversation_id": alert.conversation_id,
        "stage": alert.stage,
        "raised_at": alert.raised_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        # The conversation id is the client's sender id: quoted, so it stays one path segment.
        "link": f"{settings.public_base_url}/review/conversations/{quote(alert.conversation_id, safe='')}",
    }


def send_webhook(alert: AlertView, settings: Settings) -> Optional[str]:
    """POST the payload as JSON; signed with HMAC-SHA256 of the body when a secret is set."""
    body = json.dumps(payload(alert, settings), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "msp-assistant duty alert"}
    if settings.duty_alert_webhook_secret:
        digest = hmac.new(settings.duty_alert_webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-MSP-Signature"] = f"sha256={digest}"
    try:
        # No redirects: requests would follow a 301/302 with a GET, drop the body, and a 200
        # from the new address would count as delivered.
        response = requests.post(
            settings.duty_alert_webhook_url, data=body, headers=headers, timeout=TIMEOUT_S,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return type(exc).__name__
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def build_email(alert: AlertView, settings: Settings) -> EmailMessage:
    """The alert as an email: the same ids, kind, time and link as the webhook, in plain words."""
    data = payload(alert, settings)
    enquiry_ref = _one_line(alert.enquiry_ref or "") or "(no reference)"
    message = EmailMessage()
    label = "Urgent safety" if alert.kind == c.FLAG_URGENT_SAFETY else "Asked for a person"
    message["Subject"] = f"{label}: enquiry {enquiry_ref}"
    message["From"] = settings.smtp_from
    message["To"] = settings.duty_alert_email
    message.set_content(
        EMAIL_BODY.format(
            meaning=KIND_MEANING.get(alert.kind, alert.kind),
            enquiry_ref=enquiry_ref,
            conversation_id=_one_line(alert.conversation_id),
            stage=data["stage"],
            raised_at=data["raised_at"],
            link=data["link"],
        )
    )
    return message


def send_email(alert: AlertView, settings: Settings) -> Optional[str]:
    """Send through SMTP_HOST; with STARTTLS and a login when they are set."""
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
