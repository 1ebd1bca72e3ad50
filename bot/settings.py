"""Configuration from the environment, with `.env` filling the gaps.

Real environment variables always win over `.env` (python-dotenv's
`override=False`). With no `.env` at all every value has a working default:
SQLite files under `var/` and the contract's ports.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Tuple

from dotenv import dotenv_values, load_dotenv

logger = logging.getLogger(__name__)

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
    # Duty alerts (bot/alerts): where an urgent alert goes. Neither set: no channel.
    duty_alert_webhook_url: str = ""
    duty_alert_webhook_secret: str = ""
    duty_alert_email: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "msp-assistant@localhost"
    alert_max_delay_s: float = 60.0
    alert_give_up_hours: float = 24.0
    # An urgent alert nobody has acknowledged after this long goes to the out-of-hours route too.
    alert_escalate_minutes: float = 15.0
    out_of_hours_webhook_url: str = ""
    out_of_hours_webhook_secret: str = ""
    out_of_hours_email: str = ""
    # When the team works (local UK time), so the person is told truthfully when to expect a call.
    office_hours: str = "09:00-17:00"
    office_days: str = "mon-fri"
    callback_within_hours: float = 2.0  # in office hours, the team aims to call back within this
    # Where a practitioner opens the workspace: alerts link to it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Flags that could not be saved wait here (ids only) until the sender stores them.
    spool_dir: str = str(VAR_DIR / "spool")
    # The web app (bot/web): the chat page people are invited to.
    secret_key: str = ""  # signs invitations and web sessions; `make run` writes one into .env
    # The web app signs each person's message to Rasa with it (X-MSP-Signature); `make run` writes one.
    web_channel_secret: str = ""
    web_port: int = 8000
    invite_max_age_days: float = 14.0
    exit_url: str = "https://www.bbc.co.uk/weather"
    safety_advice_url: str = "https://www.womensaid.org.uk/cover-your-tracks-online/"
    web_session_dir: str = str(VAR_DIR / "sessions")
    chat_messages_per_minute: int = 20
    rasa_timeout_s: float = 30.0
    # Privacy (bot/store/crypto.py, bot/store/privacy.py): keys newest first, and how long words are kept.
    encryption_keys: Tuple[str, ...] = ()
    retention_months: int = 24
    # The practitioners' workspace (/review): sign-in, its waits after failures, and idle sessions.
    # Failures are counted per address and per account in the database (every web process sees them);
    # a wait is answered at once with 429 and Retry-After, never by holding a worker thread.
    signin_window_minutes: float = 15.0  # failures are forgotten after this long with none (and no wait)
    signin_address_failures: int = 10  # failures from one address before it must wait
    signin_account_failures: int = 20  # failures at one account, from anywhere, before failed addresses wait
    signin_wait_minutes: float = 1.0  # the first wait; an address's doubles with each further failure
    signin_wait_max_minutes: float = 15.0  # the longest an address waits
    signin_concurrent_checks: int = 1  # password checks (argon2) at once per web process; more: "busy"
    password_min_length: int = 12
    workspace_idle_minutes: float = 30.0
    # The production path (docs/production.md): Rasa's Redis lock store, several instances.
    lock_store_url: str = ""  # redis://host:6379/0; empty: Rasa's in-memory lock store (one instance only)
    lock_key_prefix: str = "msp"  # Rasa wants it alphanumeric; keeps our locks apart in a shared Redis
    rasa_instances: int = 1  # instance k: Rasa on rasa_port+k, its action server on actions_port+k
    lock_lifetime_s: int = 15  # a conversation's lock outlives a dead holder by at most this long
    # How long Rasa waits for an action server, per action (Rasa's own: 5 minutes); below lock_lifetime_s.
    action_timeout_s: float = 10.0
    trusted_proxies: int = 0  # proxies in front of the web app (X-Forwarded-For is believed this deep)

    @property
    def rasa_urls(self) -> List[str]:
        """Every Rasa instance, in order: the web app spreads turns over all of them."""
        return [f"http://127.0.0.1:{self.rasa_port + k}" for k in range(self.rasa_instances)]

    @property
    def actions_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{self.actions_port + k}" for k in range(self.rasa_instances)]

    @property
    def alert_channels(self) -> Tuple[str, ...]:
        """The duty alert channels that are configured, in the order they are tried."""
        channels = []
        if self.duty_alert_webhook_url:
            channels.append("webhook")
        if self.duty_alert_email and self.smtp_host:
            channels.append("email")
        return tuple(channels)

    def as_env(self) -> Dict[str, str]:
        """These settings as the environment variables `load_settings` reads.

        For the child processes of `msp serve`: they must act on the settings
        the parent was given (tests replace some), not re-read other ones.
        """
        return {
            "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "RASA_AUTH_TOKEN": self.rasa_auth_token,
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "COUNCIL_URGENT_NUMBER": self.council_urgent_number,
            "COUNCIL_CONTACT_NUMBER": self.council_contact_number,
            "COUNCIL_NAME": self.council_name,
            "DUTY_ALERT_WEBHOOK_URL": self.duty_alert_webhook_url,
            "DUTY_ALERT_WEBHOOK_SECRET": self.duty_alert_webhook_secret,
            "DUTY_ALERT_EMAIL": self.duty_alert_email,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_USERNAME": self.smtp_username,
            "SMTP_PASSWORD": self.smtp_password,
            "SMTP_STARTTLS": "true" if self.smtp_starttls else "false",
            "SMTP_FROM": self.smtp_from,
            "ALERT_MAX_DELAY_S": repr(self.alert_max_delay_s),
            "ALERT_GIVE_UP_HOURS": repr(self.alert_give_up_hours),
            "ALERT_ESCALATE_MINUTES": repr(self.alert_escalate_minutes),
            "OUT_OF_HOURS_WEBHOOK_URL": self.out_of_hours_webhook_url,
            "OUT_OF_HOURS_WEBHOOK_SECRET": self.out_of_hours_webhook_secret,
            "OUT_OF_HOURS_EMAIL": self.out_of_hours_email,
            "OFFICE_HOURS": self.office_hours,
            "OFFICE_DAYS": self.office_days,
            "CALLBACK_WITHIN_HOURS": repr(self.callback_within_hours),
            "PUBLIC_BASE_URL": self.public_base_url,
            "SPOOL_DIR": self.spool_dir,
            "SECRET_KEY": self.secret_key,
            "WEB_CHANNEL_SECRET": self.web_channel_secret,
            "WEB_PORT": str(self.web_port),
            "INVITE_MAX_AGE_DAYS": repr(self.invite_max_age_days),
            "EXIT_URL": self.exit_url,
            "SAFETY_ADVICE_URL": self.safety_advice_url,
            "WEB_SESSION_DIR": self.web_session_dir,
            "CHAT_MESSAGES_PER_MINUTE": str(self.chat_messages_per_minute),
            "RASA_TIMEOUT_S": repr(self.rasa_timeout_s),
            "MSP_ENCRYPTION_KEYS": ",".join(self.encryption_keys),
            "RETENTION_MONTHS": str(self.retention_months),
            "SIGNIN_WINDOW_MINUTES": repr(self.signin_window_minutes),
            "SIGNIN_ADDRESS_FAILURES": str(self.signin_address_failures),
            "SIGNIN_ACCOUNT_FAILURES": str(self.signin_account_failures),
            "SIGNIN_WAIT_MINUTES": repr(self.signin_wait_minutes),
            "SIGNIN_WAIT_MAX_MINUTES": repr(self.signin_wait_max_minutes),
            "SIGNIN_CONCURRENT_CHECKS": str(self.signin_concurrent_checks),
            "PASSWORD_MIN_LENGTH": str(self.password_min_length),
            "WORKSPACE_IDLE_MINUTES": repr(self.workspace_idle_minutes),
            "LOCK_STORE_URL": self.lock_store_url,
            "LOCK_KEY_PREFIX": self.lock_key_prefix,
            "RASA_INSTANCES": str(self.rasa_instances),
            "LOCK_LIFETIME_S": str(self.lock_lifetime_s),
            "ACTION_TIMEOUT_S": repr(self.action_timeout_s),
            "TRUSTED_PROXIES": str(self.trusted_proxies),
        }


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}.") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, not {raw!r}.") from exc


def _at_least(name: str, default: int, least: int) -> int:
    value = _int(name, default)
    if value < least:
        raise SystemExit(f"{name} must be {least} or more, not {value}.")
    return value


def _more_than_zero(name: str, default: float) -> float:
    value = _float(name, default)
    if not value > 0:
        raise SystemExit(f"{name} must be more than 0, not {value:g}.")
    return value


# Settings that no longer do anything, and what took their place: said once at start, never silently ignored.
RETIRED = {
    "SIGNIN_MAX_FAILURES": "no account is locked now; see SIGNIN_ADDRESS_FAILURES, SIGNIN_ACCOUNT_FAILURES",
    "SIGNIN_LOCK_MINUTES": "no account is locked now; see SIGNIN_WAIT_MINUTES, SIGNIN_WAIT_MAX_MINUTES",
    "SIGNIN_DELAY_S": "a failed sign-in no longer waits before its answer; see SIGNIN_WAIT_MINUTES",
}


def _warn_retired() -> None:
    for name, instead in RETIRED.items():
        if _str(name):
            logger.warning("%s is set but no longer used (%s). Remove it from .env.", name, instead)


def _action_timeout(lock_lifetime_s: int) -> float:
    """ACTION_TIMEOUT_S: set, it must be under the lock's lifetime; unset, 10 s or two thirds of it."""
    if not _str("ACTION_TIMEOUT_S"):
        return min(10.0, round(lock_lifetime_s * 2 / 3, 1))
    value = _float("ACTION_TIMEOUT_S", 10.0)
    if not 0 < value < lock_lifetime_s:
        raise SystemExit(
            f"ACTION_TIMEOUT_S must be more than 0 and less than LOCK_LIFETIME_S ({lock_lifetime_s}), "
            f"not {value:g}: a turn waiting on an action server must not outlive its conversation's lock."
        )
    return value


def _key_prefix() -> str:
    prefix = _str("LOCK_KEY_PREFIX", "msp")
    if not prefix.isalnum():
        # Rasa would drop it with a warning and share the default "lock:" keys with anyone else.
        raise SystemExit(f"LOCK_KEY_PREFIX must be letters and digits only, not {prefix!r}.")
    return prefix


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _office_hours() -> str:
    """OFFICE_HOURS as HH:MM-HH:MM, checked at start (a typo must not make promises we cannot keep)."""
    raw = _str("OFFICE_HOURS", "09:00-17:00")
    try:
        start, end = (datetime.strptime(part.strip(), "%H:%M") for part in raw.split("-"))
    except ValueError:
        raise SystemExit(f"OFFICE_HOURS must look like 09:00-17:00, not {raw!r}.") from None
    if not start < end:
        raise SystemExit(f"OFFICE_HOURS must start before it ends, not {raw!r}.")
    return raw


def _office_days() -> str:
    """OFFICE_DAYS as a range (mon-fri) or a list (mon,tue,thu) of three-letter day names."""
    raw = _str("OFFICE_DAYS", "mon-fri").lower()
    parts = raw.split("-") if "-" in raw else raw.split(",")
    if not parts or any(p.strip() not in _DAYS for p in parts) or ("-" in raw and len(parts) != 2):
        raise SystemExit(f"OFFICE_DAYS must look like mon-fri or mon,tue,wed, not {raw!r}.")
    return raw


def office_weekdays(office_days: str) -> Tuple[int, ...]:
    """The weekday numbers (Monday 0) an OFFICE_DAYS value names."""
    if "-" in office_days:
        first, last = (_DAYS.index(p.strip()) for p in office_days.split("-"))
        return tuple(range(first, last + 1)) if first <= last else tuple(range(first, 7)) + tuple(
            range(0, last + 1))
    return tuple(_DAYS.index(p.strip()) for p in office_days.split(","))


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _bool(name: str) -> bool:
    return _str(name).lower() in ("1", "true", "yes", "on")


def _sqlite_default(filename: str) -> str:
    return f"sqlite:///{VAR_DIR / filename}"


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings once per call; `.env` never overrides the real environment."""
    load_dotenv(env_file or PROJECT_ROOT / ".env", override=False)
    _warn_retired()
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
        duty_alert_webhook_url=_str("DUTY_ALERT_WEBHOOK_URL"),
        duty_alert_webhook_secret=_str("DUTY_ALERT_WEBHOOK_SECRET"),
        duty_alert_email=_str("DUTY_ALERT_EMAIL"),
        smtp_host=_str("SMTP_HOST"),
        smtp_port=_int("SMTP_PORT", 25),
        smtp_username=_str("SMTP_USERNAME"),
        smtp_password=_str("SMTP_PASSWORD"),
        smtp_starttls=_bool("SMTP_STARTTLS"),
        smtp_from=_str("SMTP_FROM", "msp-assistant@localhost"),
        alert_max_delay_s=_float("ALERT_MAX_DELAY_S", 60.0),
        alert_give_up_hours=_float("ALERT_GIVE_UP_HOURS", 24.0),
        alert_escalate_minutes=_float("ALERT_ESCALATE_MINUTES", 15.0),
        out_of_hours_webhook_url=_str("OUT_OF_HOURS_WEBHOOK_URL"),
        out_of_hours_webhook_secret=_str("OUT_OF_HOURS_WEBHOOK_SECRET"),
        out_of_hours_email=_str("OUT_OF_HOURS_EMAIL"),
        office_hours=_office_hours(),
        office_days=_office_days(),
        callback_within_hours=_float("CALLBACK_WITHIN_HOURS", 2.0),
        # Relative to the project, like var/: the action server and the sender must agree on it.
        spool_dir=str(PROJECT_ROOT / _str("SPOOL_DIR", str(VAR_DIR / "spool"))),
        public_base_url=_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{_int('WEB_PORT', 8000)}").rstrip("/"),
        secret_key=_str("SECRET_KEY"),
        web_channel_secret=_str("WEB_CHANNEL_SECRET"),
        web_port=_int("WEB_PORT", 8000),
        invite_max_age_days=_float("INVITE_MAX_AGE_DAYS", 14.0),
        exit_url=_str("EXIT_URL", "https://www.bbc.co.uk/weather"),
        safety_advice_url=_str("SAFETY_ADVICE_URL", "https://www.womensaid.org.uk/cover-your-tracks-online/"),
        web_session_dir=str(PROJECT_ROOT / _str("WEB_SESSION_DIR", str(VAR_DIR / "sessions"))),
        chat_messages_per_minute=_int("CHAT_MESSAGES_PER_MINUTE", 20),
        rasa_timeout_s=_float("RASA_TIMEOUT_S", 30.0),
        encryption_keys=tuple(k.strip() for k in _str("MSP_ENCRYPTION_KEYS").replace("\n", ",").split(",")
                              if k.strip()),
        retention_months=_int("RETENTION_MONTHS", 24),
        signin_window_minutes=_more_than_zero("SIGNIN_WINDOW_MINUTES", 15.0),
        signin_address_failures=_at_least("SIGNIN_ADDRESS_FAILURES", 10, 1),
        signin_account_failures=_at_least("SIGNIN_ACCOUNT_FAILURES", 20, 1),
        signin_wait_minutes=_more_than_zero("SIGNIN_WAIT_MINUTES", 1.0),
        signin_wait_max_minutes=_more_than_zero("SIGNIN_WAIT_MAX_MINUTES", 15.0),
        signin_concurrent_checks=_at_least("SIGNIN_CONCURRENT_CHECKS", 1, 1),
        password_min_length=_int("PASSWORD_MIN_LENGTH", 12),
        workspace_idle_minutes=_float("WORKSPACE_IDLE_MINUTES", 30.0),
        lock_store_url=_str("LOCK_STORE_URL"),
        lock_key_prefix=_key_prefix(),
        rasa_instances=_at_least("RASA_INSTANCES", 1, 1),
        # Whole seconds: Rasa reads TICKET_LOCK_LIFETIME with int().
        lock_lifetime_s=_at_least("LOCK_LIFETIME_S", 15, 1),
        action_timeout_s=_action_timeout(_at_least("LOCK_LIFETIME_S", 15, 1)),
        trusted_proxies=_at_least("TRUSTED_PROXIES", 0, 0),
    )


# Secrets `make run` writes into .env on first run, so every process agrees on them.
def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


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
    path = env_file or PROJECT_ROOT / ".env"
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
    path = env_file or PROJECT_ROOT / ".env"
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


# The helplines given with the help for danger (helplines.yml): a council's own data, read at start.
HELPLINE_KEYS = ("emergency", "silent_emergency", "samaritans", "nhs_111", "domestic_abuse", "modern_slavery",
                 "bank_scam", "gas_emergency")


def load_helplines(path: Path | None = None) -> Dict[str, str]:
    """The numbers in helplines.yml (HELPLINES_FILE, or the project's), every one present and text.

    A missing or broken file stops the process at start: the help for danger must never lack a number.
    """
    import yaml

    file = path or Path(_str("HELPLINES_FILE") or PROJECT_ROOT / "helplines.yml")
    try:
        numbers = (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("numbers") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise SystemExit(f"The helplines file {file} cannot be read ({type(exc).__name__}).") from None
    missing = [k for k in HELPLINE_KEYS if not str(numbers.get(k) or "").strip()]
    if missing:
        raise SystemExit(f"The helplines file {file} has no number for: {', '.join(missing)}.")
    return {k: str(numbers[k]).strip() for k in HELPLINE_KEYS}
