"""Which passwords will do, and how they are kept: NCSC's rules, and argon2id.

Following NCSC guidance, a new password must be long enough and must not be
one of the most common passwords, or a thin disguise of one ("Password123!",
"p@ssw0rd"); we use the list of 30,000 common passwords that the zxcvbn
package bundles, offline. Passwords are hashed with argon2id (argon2-cffi's
PasswordHasher defaults) and rehashed at the next sign-in when those
parameters change. No database here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import FrozenSet, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.store.users import normalise_email

PASSWORD_MAX = 1024  # argon2 takes any length; this only stops a megabyte "password" tying up a worker

# argon2id with argon2-cffi's defaults (RFC 9106's low-memory choice). Only configuration: no state.
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def common_passwords() -> FrozenSet[str]:
    """zxcvbn's list of the 30,000 most common passwords (lower case), loaded the first time it is needed."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


# Common disguises: l33t letters, and digits or symbols stuck on either end.
_LEET = (str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s",
                        "7": "t", "+": "t"}),
         str.maketrans({"@": "a", "4": "a", "3": "e", "1": "l", "|": "l", "0": "o", "$": "s", "5": "s",
                        "7": "t"}))
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_MIN_WORD = 4  # shorter list words ("abc", "a") are not matched inside a longer password


def _repeated(word: str, common: FrozenSet[str]) -> bool:
    """"qwertyqwerty", "aaaaaaaaaaaa": a short unit, or a common one, said again and again."""
    for size in range(1, len(word) // 2 + 1):
        if len(word) % size == 0 and word[:size] * (len(word) // size) == word:
            return size < _MIN_WORD or word[:size] in common
    return False


def is_common(password: str) -> bool:
    """The password is on the common list, or is a list word with digits, symbols or l33t letters added."""
    common = common_passwords()
    lower = password.lower()
    if lower in common or lower.strip() in common:
        return True
    core = _ENDS.sub("", lower)
    if not core:
        # Digits and symbols only: "123456789012" is "123456789" with more of the same.
        return _repeated(lower, common) or any(lower[:end] in common for end in range(6, len(lower) + 1))
    for candidate in {core, *(core.translate(table) for table in _LEET)}:
        if len(candidate) >= _MIN_WORD and (candidate in common or _repeated(candidate, common)):
            return True
    return _repeated(lower, common)


def password_problem(password: str, min_length: int, email: str = "") -> Optional[str]:
    """Why this password will not do, or None."""
    if len(password) < min_length:
        return f"Use a password of at least {min_length} characters"
    if len(password) > PASSWORD_MAX:
        return f"Use a password of at most {PASSWORD_MAX} characters"
    if is_common(password):
        return "That password is too common and easy to guess. Try three random words together"
    name = normalise_email(email).split("@")[0]
    if len(name) >= _MIN_WORD and name in password.lower():
        return "Do not use your email address in your password"
    return None


# --- argon2id ----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Made with other parameters than today's: hash the password again at this sign-in."""
    return _hasher.check_needs_rehash(hashed)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against when an email has no account, so that answer takes as long as any other."""
    return hash_password("no account has this password, it only takes time")
