"""Record pushes: each finished or corrected record, POSTed to the council's case system.

The duty alert sender runs a push round after each alert round (`run_once`).
A push's body is the record as the export writes it (record contract), read
when it is sent, plus its `version` (1, 2, 3 ... per record). The headers
carry `X-MSP-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body, keyed with
RECORD_PUSH_SECRET) and an `Idempotency-Key` that is the same for every try of
one version, so the receiver can drop repeats and keep the newest version.

Without RECORD_PUSH_INCLUDE_WORDS the body has codes and answers, and no
words: own words, comments and the safe-contact answers are null. Nothing
here logs a body, a secret or a person's words: ids, versions and errors only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any, Dict, Optional, Tuple

from bot.alerts.channels import post_body
from bot.settings import Settings
from bot.store import push_outbox
from bot.store.outbox import LEASE
from bot.store.pushes import PushView

logger = logging.getLogger("bot.alerts.pushes")

BATCH = 10
# The person's words in a record, wherever they sit (outcomes, withdrawn outcomes, feedback, check-ins).
WORD_KEYS = frozenset({"own_words", "comments", "comment"})
# The safe-contact answers that are the person's own words (the other two are codes).
SAFE_CONTACT_WORDS = ("when", "number", "if_call_missed")


def without_words(value: Any) -> Any:
    """The record with every own word, comment and safe-contact text set to null (codes and answers kept)."""
    if isinstance(value, list):
        return [without_words(item) for item in value]
    if not isinstance(value, dict):
        return value
    kept: Dict[str, Any] = {}
    for key, item in value.items():
        if key in WORD_KEYS:
            kept[key] = None
        elif key == "safe_contact" and isinstance(item, dict):
            kept[key] = {k: (None if k in SAFE_CONTACT_WORDS else v) for k, v in item.items()}
        else:
            kept[key] = without_words(item)
    return kept


def idempotency_key(record: Dict[str, Any], version: int) -> str:
    """The same for every try of one version of one record: ASCII, whatever the conversation id holds."""
    who = f"{record['conversation_id']}\n{record['stage']}".encode()
    return f"msp-{hashlib.sha256(who).hexdigest()[:32]}-v{version}"


def build(record: Dict[str, Any], version: int, settings: Settings) -> Tuple[bytes, Dict[str, str]]:
    """The body and headers of one push (signed)."""
    words = settings.record_push_include_words
    body = {**(record if words else without_words(record)), "version": version, "words_included": words}
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    digest = hmac.new(settings.record_push_secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "msp-assistant record push",
        "X-MSP-Signature": f"sha256={digest}",
        "Idempotency-Key": idempotency_key(record, version),
    }


def post(raw: bytes, headers: Dict[str, str], settings: Settings) -> Optional[str]:
    """One POST to RECORD_PUSH_URL: None when the case system took it (2xx), else a short error."""
    return post_body(settings.record_push_url, raw, headers)


def deliver(push: PushView, settings: Settings) -> str:
    """Build the record now, send it, record the try; returns the push's state after it."""
    found = push_outbox.record_to_send(push.id)
    if found is None:  # superseded, stopped or erased since it was claimed
        if push.claim:
            push_outbox.release([push.id], push.claim)
        return "skipped"
    record, version = found
    raw, headers = build(record, version, settings)
    try:
        error = post(raw, headers, settings)
    except Exception as exc:  # noqa: BLE001 (recorded as this try's error; the round goes on)
        logger.exception("push %s: unexpected fault", push.id)
        error = type(exc).__name__
    state = push_outbox.record_try(push.id, error, claim=push.claim)
    if error:
        logger.warning("push %s (version %s) not delivered (%s): tried %d time(s), will try again",
                       push.id, version, error, push.attempts + 1)
    else:
        logger.info("push %s (version %s) %s", push.id, version, state)
    return state


def ready(settings: Settings) -> Optional[str]:
    """None when pushes can go; else why they wait (said once at start, and by `msp pushes`)."""
    if not settings.record_push_url:
        return "RECORD_PUSH_URL is not set: finished records wait to be sent to the case system"
    if not settings.record_push_secret:
        return "RECORD_PUSH_SECRET is not set: records are not sent unsigned, so they wait"
    return None


def run_once(settings: Settings, worker: str) -> int:
    """One push round: claim the pushes that are due and send each. Returns how many were tried."""
    if ready(settings) is not None:
        return 0
    claimed = push_outbox.claim_due(worker, limit=BATCH)
    # Stop at half the lease, as the alert round does: past that another sender could take the rest.
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    for index, push in enumerate(claimed):
        if time.monotonic() > deadline:
            left = claimed[index:]
            if left[0].claim:
                push_outbox.release([p.id for p in left], left[0].claim)
            return index
        deliver(push, settings)
    return len(claimed)
