"""Each server trusts only its own callers: the web app's signature and the shared token.

The REST channel (`bot/rasa_server/channel.py`) takes a request only with one of two
credentials (the record contract, "Each server trusts only its own callers"):

- `RASA_AUTH_TOKEN`, as `?token=` or `Authorization: Bearer`: a trusted client
  (the web app's opening and help buttons, `msp chat`, the tests); a text
  starting with "/" is a command;
- the web app's signature, `X-MSP-Signature: sha256=<hex>`: the HMAC-SHA256 of
  the raw request body, keyed with `WEB_CHANNEL_SECRET`. The web app vouches
  for the whole body (the person's words and the metadata it built), but the
  text is only ever words.

The action server (`bot/actions_server.py`) takes a call only with
`Authorization: Bearer <RASA_AUTH_TOKEN>`, which Rasa sends from its endpoints
file (`bot/runner/` `write_endpoints`).

Standard library only: the web app, `msp chat`, the tests and the benchmarks
sign with it, and none of them loads Rasa.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Dict, Optional, Tuple

SIGNATURE_HEADER = "X-MSP-Signature"
SIGNATURE_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The `X-MSP-Signature` value for these exact body bytes."""
    if not secret:
        raise ValueError("WEB_CHANNEL_SECRET is empty: nothing can be signed with it")
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, secret: str, offered: str) -> bool:
    """The offered signature is this body's under `secret`; never with no secret (fail closed)."""
    if not secret:
        return False
    # compare_digest on bytes: on str it refuses non-ASCII, which a caller may send.
    return hmac.compare_digest(offered.strip().lower().encode("utf-8", "replace"),
                               sign(body, secret).encode("ascii"))


def token_matches(offered: str, expected: str) -> bool:
    """The offered token is the expected one; never with no token configured (fail closed)."""
    if not expected:
        return False
    return hmac.compare_digest(offered.encode("utf-8", "replace"), expected.encode("utf-8"))


def bearer(authorization: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def signed_json(payload: Dict[str, Any], secret: str) -> Tuple[bytes, Dict[str, str]]:
    """The JSON body to post and its headers, signature included (post the bytes as they are)."""
    body = json.dumps(payload).encode("utf-8")
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}
