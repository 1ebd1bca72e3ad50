"""What people tell us is encrypted at rest: their own words, their comments, the tracker's event data.

Why Fernet (MultiFernet) from `cryptography`: authenticated encryption
(AES-128-CBC with HMAC-SHA256) with a well-kept, misuse-resistant API, and
key rotation built in. Keys come from MSP_ENCRYPTION_KEYS, newest first
(comma-separated); everything is written under the newest key and read with
any of them, so a new key can be put first and `msp rotate-key` re-encrypts
the rest before the old key is removed.

Stored values carry a prefix (`enc1:`), so a value written before encryption
was switched on is still read (and `msp rotate-key` encrypts it). A value
that carries the prefix but that no key can open is an error, never garbage:
the start check (`bot/store/key_check.py`) finds that from a small canary row.
"""

from __future__ import annotations

import functools
from typing import Any, Optional, Sequence, Tuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.types import Text, TypeDecorator

from bot.settings import current_encryption_keys

PREFIX = "enc1:"


class EncryptionKeyProblem(RuntimeError):
    """The keys in MSP_ENCRYPTION_KEYS are missing, malformed, or cannot read what is stored."""


def new_key() -> str:
    return Fernet.generate_key().decode()


@functools.lru_cache(maxsize=8)
def _fernet(keys: Tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyProblem(
            "MSP_ENCRYPTION_KEYS is not set: run `msp setup` (make run does) or set it in .env"
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise EncryptionKeyProblem(
            "MSP_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)"
        ) from exc


def _keys() -> Tuple[str, ...]:
    """MSP_ENCRYPTION_KEYS as settings read it (.env once; the real environment wins), on every call:
    cheap, and a key put in place by a test or `msp rotate-key` is seen at once."""
    return current_encryption_keys()


def usable_keys() -> Tuple[str, ...]:
    """The keys in use, newest first; EncryptionKeyProblem when there is none or one is malformed."""
    keys = _keys()
    _fernet(keys)
    return keys


def encrypt(text: Optional[str], keys: Optional[Sequence[str]] = None) -> Optional[str]:
    if text is None:
        return None
    token = _fernet(tuple(keys) if keys else _keys()).encrypt(text.encode("utf-8"))
    return PREFIX + token.decode("ascii")


def decrypt(value: Optional[str], keys: Optional[Sequence[str]] = None) -> Optional[str]:
    """The plain text. A value from before encryption (no prefix) is returned as it is."""
    if value is None or not value.startswith(PREFIX):
        return value
    try:
        return _fernet(tuple(keys) if keys else _keys()).decrypt(value[len(PREFIX):].encode("ascii")).decode(
            "utf-8")
    except InvalidToken as exc:
        raise EncryptionKeyProblem(
            "stored data cannot be read with MSP_ENCRYPTION_KEYS: a key is missing or wrong"
        ) from exc


def is_encrypted(value: Optional[str]) -> bool:
    return value is not None and value.startswith(PREFIX)


def under_newest_key(value: Optional[str], keys: Optional[Sequence[str]] = None) -> bool:
    """True when the value is already encrypted with the first key (nothing to rotate)."""
    if value is None:
        return True
    if not is_encrypted(value):
        return False
    newest = (tuple(keys) if keys else _keys())[:1]
    try:
        _fernet(newest).decrypt(value[len(PREFIX):].encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(value: Optional[str], keys: Optional[Sequence[str]] = None) -> Optional[str]:
    """The value encrypted with the newest key (plain values are encrypted)."""
    if value is None:
        return None
    return encrypt(decrypt(value, keys), keys)


class EncryptedText(TypeDecorator):  # type: ignore[type-arg]
    """A Text column whose values are encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[str]:
        return encrypt(value) if value is not None else None

    def process_result_value(self, value: Any, dialect: Any) -> Optional[str]:
        return decrypt(value) if value is not None else None
