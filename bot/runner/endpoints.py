"""What each Rasa instance is given: its endpoints file (its action server, the shared tracker and
lock stores) and the check that the settings can run several instances safely.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Dict, List

import yaml
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, Settings

# Rasa's SQLTrackerStore, failing loudly; each Rasa instance refuses to start without it.
TRACKER_STORE_CLASS = "bot.rasa_server.tracker_store.StrictSQLTrackerStore"


def tracker_store_endpoint(url: str) -> Dict[str, object]:
    """Our SQL tracker store (bot/rasa_server/tracker_store.py) wants the URL in parts, as Rasa's does.

    The URL's query (`?sslmode=verify-full&sslrootcert=...`, `application_name`)
    goes to Rasa's `query` key, which hands it to the driver, so TLS settings
    for a managed PostgreSQL are not lost on the way.
    """
    parsed = make_url(url)
    config: Dict[str, object] = {"type": TRACKER_STORE_CLASS, "dialect": parsed.drivername}
    if parsed.get_backend_name() == "sqlite":
        db = Path(parsed.database or "tracker.db")
        if not db.is_absolute():
            db = PROJECT_ROOT / db
        db.parent.mkdir(parents=True, exist_ok=True)
        config["db"] = str(db)
        return config
    for key, value in (
        ("url", parsed.host),
        ("port", parsed.port),
        ("db", parsed.database),
        ("username", parsed.username),
        ("password", parsed.password),
    ):
        if value is not None:
            config[key] = value
    if parsed.query:
        config["query"] = dict(parsed.query)
    return config


# Rasa reads its conversation lock's lifetime from this variable, in whole seconds
# (rasa/core/lock_store.py `_get_lock_lifetime`; 60 when unset, rasa/core/constants.py).
RASA_LOCK_LIFETIME_ENV = "TICKET_LOCK_LIFETIME"


# Rasa's Redis lock store with one fault mended: a turn never waits forever behind a killed instance.
LOCK_STORE_CLASS = "bot.rasa_server.lock_store.ResilientRedisLockStore"


def lock_store_endpoint(url: str, key_prefix: str) -> Dict[str, object]:
    """The Redis lock store from LOCK_STORE_URL (`redis://[user:pass@]host[:port][/db]`, or rediss://).

    Rasa's `RedisLockStore` keys, tickets and settings (`type: redis` takes the
    same ones), through our subclass (bot/rasa_server/lock_store.py says why).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must start with redis:// or rediss://, not {parts.scheme or url!r}")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"LOCK_STORE_URL: the Redis database must be a number, not {db!r}")
    config: Dict[str, object] = {
        "type": LOCK_STORE_CLASS,
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(db),
        "key_prefix": key_prefix,
    }
    if parts.username:
        config["username"] = urllib.parse.unquote(parts.username)
    if parts.password:
        config["password"] = urllib.parse.unquote(parts.password)
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


def production_problems(settings: Settings) -> List[str]:
    """Why these settings cannot run several instances safely (empty when they can)."""
    problems = []
    if settings.rasa_instances > 1:
        if not settings.lock_store_url:
            problems.append(
                f"RASA_INSTANCES={settings.rasa_instances} needs LOCK_STORE_URL=redis://...: Rasa's "
                "in-memory lock belongs to one instance, so two could answer one conversation at once."
            )
        if make_url(settings.tracker_store_url).get_backend_name() == "sqlite":
            problems.append(
                f"RASA_INSTANCES={settings.rasa_instances} needs TRACKER_STORE_URL=postgresql://...: "
                "every instance must read and write the same conversations on a database server."
            )
    if settings.lock_store_url:
        try:
            lock_store_endpoint(settings.lock_store_url, settings.lock_key_prefix)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def action_endpoint(settings: Settings, instance: int = 0) -> Dict[str, object]:
    """Instance `instance`'s action server, and the bearer token it wants (bot/actions_server.py).

    Rasa adds `headers` to every call it makes there (`rasa/utils/endpoints.py`
    `EndpointConfig.request`); a header, not `token:` (which Rasa sends as
    `?token=`), so the token stays out of URLs and access logs.
    """
    return {
        "url": f"{settings.actions_urls[instance]}/webhook",
        "headers": {"Authorization": f"Bearer {settings.rasa_auth_token}"},
    }


def write_endpoints(settings: Settings, path: Path, instance: int = 0) -> Path:
    """Instance `instance`'s endpoints: its own action server, the shared tracker and lock stores."""
    path.parent.mkdir(parents=True, exist_ok=True)
    endpoints: Dict[str, object] = {
        "action_endpoint": action_endpoint(settings, instance),
        "tracker_store": tracker_store_endpoint(settings.tracker_store_url),
    }
    if settings.lock_store_url:
        endpoints["lock_store"] = lock_store_endpoint(settings.lock_store_url, settings.lock_key_prefix)
    # It holds the action server's token, and may hold the database's and Redis's passwords:
    # readable by this user only.
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path
