"""Signed invitation links: the only way a conversation with an enquiry is opened on the web.

A practitioner makes a link (`msp invite`, later the workspace); the person
opens it. The link carries the enquiry reference, the stage, the role and an
invitation id, signed with SECRET_KEY and dated, so it can be neither guessed
nor altered, and it expires (INVITE_MAX_AGE_DAYS). No Flask here: the CLI
makes links with the same code the web app reads them with.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot import constants as c

SALT = "msp-invitation-v1"
ENQUIRY_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
# A check-in changes the wishes of one enquiry's record, so it cannot be opened without one.
CHECKIN_NEEDS_ENQUIRY = ("a check-in needs the enquiry reference it is for, like NR-2026-0042: "
                         "it goes back over that enquiry's wishes")


class InvitationError(Exception):
    """The link cannot be used. `expired` tells an old link from a broken one."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "not valid")
        self.expired = expired


@dataclass(frozen=True)
class Invitation:
    enquiry_ref: str
    stage: str
    role: str
    invite_id: str


def new_invitation(enquiry_ref: str, stage: str, role: str) -> Invitation:
    """Check the parts and give the invitation a fresh, unguessable id."""
    enquiry_ref = (enquiry_ref or "").strip()
    if stage == c.STAGE_CHECKIN and not enquiry_ref:
        raise ValueError(CHECKIN_NEEDS_ENQUIRY)
    if not ENQUIRY_REF.match(enquiry_ref):
        raise ValueError(
            "an enquiry reference is letters, numbers and - / _ . (at most 64), like NR-2026-0042"
        )
    if stage not in c.STAGES:
        raise ValueError(f"stage must be one of {', '.join(c.STAGES)}")
    if role not in c.ROLES:
        raise ValueError(f"role must be one of {', '.join(c.ROLES)}")
    return Invitation(enquiry_ref, stage, role, secrets.token_urlsafe(12))


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise RuntimeError("SECRET_KEY is not set: run `make run` once, or set it in .env")
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign(invitation: Invitation, secret_key: str) -> str:
    payload = {
        "e": invitation.enquiry_ref, "s": invitation.stage, "r": invitation.role, "i": invitation.invite_id,
    }
    return str(_serializer(secret_key).dumps(payload))


def read(token: str, secret_key: str, max_age_days: float) -> Invitation:
    """The invitation in a link, or InvitationError when it is expired or altered."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(max_age_days * 86400))
    except SignatureExpired as exc:
        raise InvitationError(expired=True) from exc
    except BadSignature as exc:
        raise InvitationError(expired=False) from exc
    try:
        invitation = Invitation(str(data["e"]), str(data["s"]), str(data["r"]), str(data["i"]))
    except (KeyError, TypeError) as exc:
        raise InvitationError(expired=False) from exc
    if (not ENQUIRY_REF.match(invitation.enquiry_ref) or invitation.stage not in c.STAGES
            or invitation.role not in c.ROLES):
        raise InvitationError(expired=False)
    return invitation


def link(invitation: Invitation, secret_key: str, public_base_url: str) -> str:
    return f"{public_base_url.rstrip('/')}/start/{sign(invitation, secret_key)}"
