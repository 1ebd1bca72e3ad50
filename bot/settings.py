"""Configuration from the environment, with `.env` filling the gaps.

Real environment variables always win over `.env` (python-dotenv's
`override=False`). With no `.env` at all every value has a working default:
SQLite files under `var/` and the contract's ports.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

_DEFAULT_COUNCIL_NUMBER = "0344 800 8020"


@dataclass(frozen=True)
class Settings:
    database_url: str
    tracker_store_url: str
    rasa_auth_token: str
    rasa_port: int
    actions_port: int
    council_urgent_number: str
    council_contact_number: str
    council_name: str
    token_generated: bool = False


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from exc


def _sqlite_default(filename: str) -> str:
    return f"sqlite:///{VAR_DIR / filename}"


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings once per call; `.env` never overrides the real environment."""
    load_dotenv(env_file or PROJECT_ROOT / ".env", override=False)
    token = os.environ.get("RASA_AUTH_TOKEN", "").strip()
    generated = False
    if not token:
        token = secrets.token_urlsafe(24)
        generated = True
    return Settings(
        database_url=os.environ.get("DATABASE_URL", "").strip() or _sqlite_default("msp.db"),
        tracker_store_url=os.environ.get("TRACKER_STORE_URL", "").strip()
        or _sqlite_default("tracker.db"),
        rasa_auth_token=token,
        rasa_port=_int("RASA_PORT", 5005),
        actions_port=_int("ACTIONS_PORT", 5055),
        council_urgent_number=os.environ.get("COUNCIL_URGENT_NUMBER", "").strip()
        or _DEFAULT_COUNCIL_NUMBER,
        council_contact_number=os.environ.get("COUNCIL_CONTACT_NUMBER", "").strip()
        or _DEFAULT_COUNCIL_NUMBER,
        council_name=os.environ.get("COUNCIL_NAME", "").strip() or "the council",
        token_generated=generated,
    )
