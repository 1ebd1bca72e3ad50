"""Configuration from the environment, with `.env` filling the gaps.

Every setting is declared once, in `Settings` below: its name, type, default and what it is for.
The environment variable is the name in capitals (`MSP_ENCRYPTION_KEYS` says so where it differs).
`load_settings()` reads them: real environment variables always win over `.env` (python-dotenv's
`override=False`). With no `.env` at all every value has a working default: SQLite files under
`var/` and the contract's ports. A bad value stops the start with one line that names it.

Variables that Rasa, rasa_sdk or the OS own are left to them, not settings of ours: e.g.
RASA_TELEMETRY_ENABLED, TF_CPP_MIN_LOG_LEVEL, SANIC_HOST, POSTGRESQL_SCHEMA, PYTHONPATH.

Nothing outside this package reads our settings from the environment. Beside `Settings`, two small jobs
that touch the same files: `env_file.py` writes the secrets `make run` and `msp rotate-key` keep in `.env`,
and `helplines.py` reads the file HELPLINES_FILE names.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Tuple

from dotenv import load_dotenv
from pydantic import BaseSettings, Field, ValidationError, root_validator, validator
from pydantic.fields import ModelField

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = PROJECT_ROOT / "var"
ENV_FILE = PROJECT_ROOT / ".env"  # absolute: every process reads the same file, whatever its directory

_DEFAULT_COUNCIL_NUMBER = "0344 800 8020"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TRUE = ("1", "true", "yes", "on")  # anything else is false, as before


class Settings(BaseSettings):
    """Every setting, once. Read them with `load_settings()`; tests change some with `.copy(update={...})`.

    `Field(default=..., ge=...)` / `gt=...` are checked at start with a plain message; `None` as a default
    means "worked out from other settings" (see the validators below).
    """

    database_url: str = f"sqlite:///{VAR_DIR / 'msp.db'}"  # the records; PostgreSQL in production
    tracker_store_url: str = f"sqlite:///{VAR_DIR / 'tracker.db'}"  # whole conversations (Rasa's)
    # Protects Rasa's HTTP API and the action server; empty: one is made up for this process only.
    rasa_auth_token: str = ""
    token_generated: bool = Field(default=False, env=())  # not read: true when rasa_auth_token was made up
    rasa_port: int = 5005  # the Rasa server, bound to 127.0.0.1
    actions_port: int = 5055  # the action server, bound to 127.0.0.1
    council_urgent_number: str = _DEFAULT_COUNCIL_NUMBER  # given with the danger answer
    council_contact_number: str = _DEFAULT_COUNCIL_NUMBER  # given to people who ask for a person
    council_name: str = "the council"  # said in the opening and the help messages
    # The helplines given with the help for danger (a council's own data); relative: from the working dir.
    helplines_file: str = str(PROJECT_ROOT / "helplines.yml")
    # Duty alerts (bot/alerts): where an urgent alert goes. Neither set: no channel.
    duty_alert_webhook_url: str = ""  # alerts go here as a JSON POST (ids, kind, time, link; never words)
    duty_alert_webhook_secret: str = ""  # set: each POST is signed (X-MSP-Signature, HMAC-SHA256 of the body)
    duty_alert_email: str = ""  # alerts are emailed here too (needs smtp_host)
    smtp_host: str = ""  # the mail server for alert emails
    smtp_port: int = 25
    smtp_username: str = ""  # log in to the mail server, only when set
    smtp_password: str = ""
    smtp_starttls: bool = False  # true (1, yes, on): STARTTLS before logging in
    smtp_from: str = "msp-assistant@localhost"  # the sender of alert emails
    alert_max_delay_s: float = 60.0  # a failed send is tried again after 1, 2, 4 ... s, at most this apart
    alert_give_up_hours: float = 24.0  # then an alert that has not gone is `failed`
    # An urgent alert nobody has acknowledged after this long goes to the out-of-hours route too.
    alert_escalate_minutes: float = 15.0
    out_of_hours_webhook_url: str = ""  # escalations go here as a JSON POST
    out_of_hours_webhook_secret: str = ""  # set: each escalation POST is signed with it
    out_of_hours_email: str = ""  # escalations are emailed here too (same SMTP settings)
    # Record pushes (bot/alerts/pushes.py): each finished or corrected record goes to the council's case
    # system as a JSON POST (record contract), signed (X-MSP-Signature) with the secret. URL unset: not sent.
    record_push_url: str = ""
    record_push_secret: str = ""  # required to send: without it, pushes wait
    record_push_include_words: bool = False  # true: the person's own words and comments go too
    # When the team works (local UK time), so the person is told truthfully when to expect a call.
    office_hours: str = "09:00-17:00"  # HH:MM-HH:MM
    office_days: str = "mon-fri"  # a range (mon-fri) or a list (mon,tue,thu)
    callback_within_hours: float = 2.0  # in office hours, the team aims to call back within this
    # Flags that could not be saved wait here (ids only) until the sender stores them. Relative: from the
    # project, like var/, so the action server and the sender agree on it.
    spool_dir: str = str(VAR_DIR / "spool")
    # The web app (bot/web): the chat page people are invited to, and the workspace.
    web_host: str = "127.0.0.1"  # where the web app listens (a TLS proxy in front in production)
    web_port: int = 8000
    # Where a practitioner opens the workspace: alerts link to it. None: http://127.0.0.1:<web_port>.
    public_base_url: str = Field(default=None)
    secret_key: str = ""  # signs invitations and web sessions; `make run` writes one into .env
    # The web app signs each person's message to Rasa with it (X-MSP-Signature); `make run` writes one.
    web_channel_secret: str = ""
    invite_max_age_days: float = 14.0  # how long an invitation link works
    exit_url: str = "https://www.bbc.co.uk/weather"  # the neutral site "Exit this page" goes to
    safety_advice_url: str = "https://www.womensaid.org.uk/cover-your-tracks-online/"  # staying safe online
    web_session_dir: str = str(VAR_DIR / "sessions")  # server-side sessions (ids only); relative as spool_dir
    chat_messages_per_minute: int = 20  # messages one conversation may send per minute through the page
    rasa_timeout_s: float = 30.0  # how long the page waits for Rasa before saying the chat is not working
    # Privacy (bot/store/crypto.py, bot/store/privacy.py): keys newest first, and how long words are kept.
    # Fernet keys, comma-separated; the one variable with our prefix.
    encryption_keys: Tuple[str, ...] = Field(default=(), env="MSP_ENCRYPTION_KEYS")
    retention_months: int = 24  # the person's words go this long after a conversation's last activity
    # The practitioners' workspace (/review): sign-in, its waits after failures, and idle sessions.
    # Failures are counted per address and per account in the database (every web process sees them);
    # a wait is answered at once with 429 and Retry-After, never by holding a worker thread.
    # Failures are forgotten after this long with none (and no wait).
    signin_window_minutes: float = Field(default=15.0, gt=0)
    signin_address_failures: int = Field(default=10, ge=1)  # failures from one address before it must wait
    # Failures at one account, from anywhere, before failed addresses wait.
    signin_account_failures: int = Field(default=20, ge=1)
    # The first wait; an address's doubles with each further failure.
    signin_wait_minutes: float = Field(default=1.0, gt=0)
    signin_wait_max_minutes: float = Field(default=15.0, gt=0)  # the longest an address waits
    # Password checks (argon2) at once per web process; more: "busy".
    signin_concurrent_checks: int = Field(default=1, ge=1)
    password_min_length: int = 12  # workspace passwords
    workspace_idle_minutes: float = 30.0  # a workspace session ends after this long without a request
    # The production path (docs/production.md): Rasa's Redis lock store, several instances.
    lock_store_url: str = ""  # redis://host:6379/0; empty: Rasa's in-memory lock store (one instance only)
    lock_key_prefix: str = "msp"  # Rasa wants it alphanumeric; keeps our locks apart in a shared Redis
    # Instance k: Rasa on rasa_port+k, its action server on actions_port+k.
    rasa_instances: int = Field(default=1, ge=1)
    # A conversation's lock outlives a dead holder by at most this long. Whole seconds: Rasa reads
    # TICKET_LOCK_LIFETIME with int().
    lock_lifetime_s: int = Field(default=15, ge=1)
    # How long Rasa waits for an action server, per action (Rasa's own: 5 minutes); below lock_lifetime_s.
    # None: 10 s, or two thirds of a shorter lock lifetime.
    action_timeout_s: float = Field(default=None)
    # Proxies in front of the web app (X-Forwarded-For is believed this deep).
    trusted_proxies: int = Field(default=0, ge=0)
    # The tracker store's PostgreSQL pool, per Rasa instance: Rasa's own names (Rasa reads them too), our
    # smaller defaults (bot/rasa_server/tracker_store.py).
    sql_pool_size: int = 5
    sql_max_overflow: int = 10

    class Config(BaseSettings.Config):
        frozen = True  # immutable (and hashable), as the dataclass was: change a copy, `.copy(update={...})`
        case_sensitive = True  # DATABASE_URL, never database_url

        @classmethod
        def prepare_field(cls, field: ModelField) -> None:
            # The variable is the field's name in capitals, exactly (case-sensitive), unless `env=` says.
            field.field_info.extra.setdefault("env", field.name.upper())
            super().prepare_field(field)

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            return raw_val  # not JSON: a list setting is comma-separated (the validator below splits it)

    @root_validator(pre=True)
    def _empty_is_unset(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        """An empty variable (`RASA_AUTH_TOKEN=` in .env) takes the default, as an unset one does."""
        return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}

    @validator("*", pre=True)
    def _read(cls, value: Any, field: ModelField) -> Any:
        """Text as it comes from the environment: trimmed, numbers and bounds checked with a plain message."""
        name = env_name(field)
        kind = field.outer_type_
        if isinstance(value, str):
            value = value.strip()
            if kind is bool:
                return value.lower() in _TRUE
            if isinstance(kind, type) and issubclass(kind, int):
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"{name} must be a whole number, not {value!r}.") from None
            elif isinstance(kind, type) and issubclass(kind, float):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"{name} must be a number, not {value!r}.") from None
        least, above = field.field_info.ge, field.field_info.gt
        if least is not None and isinstance(value, (int, float)) and value < least:
            raise ValueError(f"{name} must be {least} or more, not {value}.")
        if above is not None and isinstance(value, (int, float)) and not value > above:
            raise ValueError(f"{name} must be more than {above:g}, not {value:g}.")
        return value

    @validator("encryption_keys", pre=True)
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _split_keys(value)
        return value

    @validator("spool_dir", "web_session_dir")
    def _from_the_project(cls, value: str) -> str:
        return str(PROJECT_ROOT / value)

    @validator("public_base_url")
    def _base_url(cls, value: Any, values: Dict[str, Any]) -> Any:
        return (value or f"http://127.0.0.1:{values.get('web_port', 8000)}").rstrip("/")

    @validator("office_hours")
    def _office_hours(cls, value: str) -> str:
        """HH:MM-HH:MM, checked at start (a typo must not make promises we cannot keep)."""
        try:
            start, end = (datetime.strptime(part.strip(), "%H:%M") for part in value.split("-"))
        except ValueError:
            raise ValueError(f"OFFICE_HOURS must look like 09:00-17:00, not {value!r}.") from None
        if not start < end:
            raise ValueError(f"OFFICE_HOURS must start before it ends, not {value!r}.")
        return value

    @validator("office_days")
    def _office_days(cls, value: str) -> str:
        """A range (mon-fri) or a list (mon,tue,thu) of three-letter day names."""
        value = value.lower()
        parts = value.split("-") if "-" in value else value.split(",")
        if not parts or any(p.strip() not in _DAYS for p in parts) or ("-" in value and len(parts) != 2):
            raise ValueError(f"OFFICE_DAYS must look like mon-fri or mon,tue,wed, not {value!r}.")
        return value

    @validator("lock_key_prefix")
    def _key_prefix(cls, value: str) -> str:
        if not value.isalnum():
            # Rasa would drop it with a warning and share the default "lock:" keys with anyone else.
            raise ValueError(f"LOCK_KEY_PREFIX must be letters and digits only, not {value!r}.")
        return value

    @validator("action_timeout_s")
    def _action_timeout(cls, value: Any, values: Dict[str, Any]) -> Any:
        """Set, it must be under the lock's lifetime; unset, 10 s or two thirds of it."""
        lifetime = values.get("lock_lifetime_s")
        if lifetime is None:  # LOCK_LIFETIME_S itself is wrong: that is the message
            return value
        if value is None:
            return min(10.0, round(lifetime * 2 / 3, 1))
        if not 0 < value < lifetime:
            raise ValueError(
                f"ACTION_TIMEOUT_S must be more than 0 and less than LOCK_LIFETIME_S ({lifetime}), "
                f"not {value:g}: a turn waiting on an action server must not outlive its conversation's lock."
            )
        return value

    @root_validator(skip_on_failure=True)
    def _made_up_token(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if not values.get("rasa_auth_token"):
            values["rasa_auth_token"] = secrets.token_urlsafe(24)
            values["token_generated"] = True
        return values

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
        env = {}
        for field in self.__fields__.values():
            if field.field_info.extra["env_names"]:
                env[env_name(field)] = _as_text(getattr(self, field.name))
        return env


def env_name(field: ModelField) -> str:
    """The environment variable a setting is read from."""
    return str(field.field_info.extra["env"])


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _split_keys(raw: str) -> Tuple[str, ...]:
    return tuple(k.strip() for k in raw.replace("\n", ",").split(",") if k.strip())


def _problems(error: ValidationError) -> str:
    """Each bad value on a line of its own, named by its variable."""
    lines = []
    for problem in error.errors():
        field = Settings.__fields__.get(str(problem["loc"][0]))
        name = env_name(field) if field else "Settings"
        message = str(problem["msg"])
        lines.append(message if message.startswith(name) else f"{name}: {message}")
    return "\n".join(lines)


# Settings that no longer do anything, and what took their place: said once at start, never silently ignored.
RETIRED = {
    "SIGNIN_MAX_FAILURES": "no account is locked now; see SIGNIN_ADDRESS_FAILURES, SIGNIN_ACCOUNT_FAILURES",
    "SIGNIN_LOCK_MINUTES": "no account is locked now; see SIGNIN_WAIT_MINUTES, SIGNIN_WAIT_MAX_MINUTES",
    "SIGNIN_DELAY_S": "a failed sign-in no longer waits before its answer; see SIGNIN_WAIT_MINUTES",
}


def _warn_retired() -> None:
    for name, instead in RETIRED.items():
        if os.environ.get(name, "").strip():
            logger.warning("%s is set but no longer used (%s). Remove it from .env.", name, instead)


def load_settings(env_file: Path | None = None) -> Settings:
    """Read settings once per call; `.env` never overrides the real environment.

    python-dotenv puts `.env` into this process's environment (so child processes and
    `current_encryption_keys` see it too); then `Settings` reads the environment. A bad value
    stops the start with a line naming it (SystemExit), never a trace.
    """
    load_dotenv(env_file or ENV_FILE, override=False)
    _warn_retired()
    try:
        return Settings()
    except ValidationError as exc:
        raise SystemExit(_problems(exc)) from None


_env_file_read = False


def current_encryption_keys() -> Tuple[str, ...]:
    """MSP_ENCRYPTION_KEYS as `load_settings` reads it, afresh on every call (bot/store/crypto.py, for
    every value): cheap, and a key put in place by a test or `msp rotate-key` is seen at once."""
    global _env_file_read
    if not _env_file_read:
        load_dotenv(ENV_FILE, override=False)
        _env_file_read = True
    return _keys_from(os.environ.get(env_name(Settings.__fields__["encryption_keys"]), ""))


@functools.lru_cache(maxsize=8)
def _keys_from(raw: str) -> Tuple[str, ...]:
    return _split_keys(raw)


def office_weekdays(office_days: str) -> Tuple[int, ...]:
    """The weekday numbers (Monday 0) an OFFICE_DAYS value names."""
    if "-" in office_days:
        first, last = (_DAYS.index(p.strip()) for p in office_days.split("-"))
        return tuple(range(first, last + 1)) if first <= last else tuple(range(first, 7)) + tuple(
            range(0, last + 1))
    return tuple(_DAYS.index(p.strip()) for p in office_days.split(","))
