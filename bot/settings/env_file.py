"""Writing secrets into `.env`: the ones `make run` makes on first run, and the keys `msp rotate-key` changes.

Settings only read `.env` (bot/settings/__init__.py); this is the one place that writes it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import List

from dotenv import dotenv_values, load_dotenv

from bot.settings import ENV_FILE


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# Secrets `make run` writes into .env on first run, so every process agrees on them.
GENERATED_SECRETS = {
    "MSP_ENCRYPTION_KEYS": _fernet_key,
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "RASA_AUTH_TOKEN": lambda: secrets.token_urlsafe(24),
    "WEB_CHANNEL_SECRET": lambda: secrets.token_urlsafe(32),
}

# What each secret protects, for the message `msp setup` prints.
SECRET_PURPOSES = {
    "MSP_ENCRYPTION_KEYS": "the person's words are encrypted with it; lose it and they cannot be read",
    "SECRET_KEY": "invitation links and sign-in sessions are signed with it",
    "RASA_AUTH_TOKEN": "only our own processes may talk to the assistant's server with it",
    "WEB_CHANNEL_SECRET": "the chat page signs each person's message to the assistant with it",
}


def replace_env_value(name: str, value: str, env_file: Path | None = None) -> bool:
    """Set NAME=value in .env, in place of its line (or added). False when the real environment
    sets NAME to something other than .env does: then .env is not what the services read."""
    path = env_file or ENV_FILE
    lines = path.read_text().splitlines() if path.exists() else []
    in_file = dotenv_values(path).get(name) if path.exists() else None
    if os.environ.get(name) not in (None, in_file):
        return False
    kept = [line for line in lines if not line.strip().startswith(f"{name}=")]
    path.write_text("\n".join(kept + [f"{name}={value}"]) + "\n")
    path.chmod(0o600)
    os.environ[name] = value
    return True


def ensure_env_secrets(env_file: Path | None = None) -> List[str]:
    """Write any missing secret into `.env` (never over one already set). Returns the names written."""
    path = env_file or ENV_FILE
    load_dotenv(path, override=False)
    written = []
    for name, make in GENERATED_SECRETS.items():
        if os.environ.get(name, "").strip():
            continue
        value = make()
        existing = path.read_text() if path.exists() else ""
        with path.open("a") as handle:
            if existing and not existing.endswith("\n"):
                handle.write("\n")
            handle.write(f"{name}={value}\n")
        os.environ[name] = value
        written.append(name)
    if written:
        path.chmod(0o600)
    return written
