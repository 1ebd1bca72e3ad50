"""The production path under test: two Rasa instances, two action servers, PostgreSQL and Redis.

`stack` runs the real servers (`Services`, as `msp serve` does) with
RASA_INSTANCES=2 on fresh PostgreSQL databases (records and conversations)
and this run's own Redis key prefix. Tests may kill any part of it: the
`healthy` fixture starts again whatever a test before left dead, so each test
begins with the whole stack up. Servers come from TEST_POSTGRES_URL and
TEST_REDIS_URL (tests/conftest.py); when they do not answer these tests fail,
or are skipped under MSP_TEST_PRODUCTION=0 and the summary says so.

Restarting PostgreSQL or Redis is only done to the servers on this machine
(the commands below, or TEST_POSTGRES_RESTART / TEST_REDIS_RESTART); both are
left running when a test ends, whatever happened.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest
from sqlalchemy.engine import make_url

from bot.runner import MODEL_PATH
from bot.settings import Settings
from bot.store.migrate import upgrade
from tests.alerts.receivers import HttpReceiver, SmtpSink, http_receiver, smtp_sink
from tests.conftest import PostgresServer, RedisTarget
from tests.live import Live, e2e_settings, free_port_run, start_services

INSTANCES = 2


class Stack(Live):
    """The running production path, and the means to break it and mend it."""

    def __init__(self, settings: Settings, workdir: Path, webhook: HttpReceiver, mail: SmtpSink,
                 redis: RedisTarget) -> None:
        env = dict(os.environ, **settings.as_env(), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        super().__init__(start_services(settings, workdir), env, webhook, mail)
        self.settings = settings
        self.workdir = workdir
        self.redis = redis

    @property
    def urls(self) -> List[str]:
        return self.services.rasa_urls

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        process = self.services.process(name)
        assert process is not None and process.poll() is None, f"{name} is not running"
        os.killpg(process.pid, sig)
        if sig == signal.SIGKILL:
            process.wait(timeout=10)
        return process.pid

    def kill_everything(self) -> None:
        """As a power cut would: every process at once, no clean-up."""
        for process in self.services.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.services.processes:
            process.wait(timeout=10)
        self.services.processes.clear()
        self.services.names.clear()

    def start_again(self) -> float:
        """The whole stack from cold on the same settings (as after a crash); returns the seconds it took."""
        began = time.monotonic()
        self.services = start_services(self.settings, self.workdir)
        return time.monotonic() - began

    def mend(self, timeout: float = 180.0) -> None:
        """Start again any part that is not running, resume any stopped, and wait until all answer."""
        if not self.services.processes:
            self.start_again()
            return
        for name in list(self.services.commands):
            process = self.services.process(name)
            if process is None or process.poll() is not None:
                self.services.respawn(name)
            else:
                try:
                    os.killpg(process.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        while not self.services.ready():
            assert time.monotonic() < deadline, "the stack did not come back"
            time.sleep(0.5)

    def lock_keys(self) -> List[str]:
        return self.redis.keys()


def production_settings(workdir: Path, webhook: HttpReceiver, mail: SmtpSink, records_url: str,
                        tracker_url: str, redis: RedisTarget) -> Settings:
    """e2e_settings, on the production path: PostgreSQL, Redis locks, two instances in a row of ports."""
    return e2e_settings(workdir, webhook, mail).copy(update={
        "database_url": records_url,
        "tracker_store_url": tracker_url,
        "lock_store_url": redis.url,
        "lock_key_prefix": redis.prefix,
        "rasa_instances": INSTANCES,
        "rasa_port": free_port_run(INSTANCES),
        "actions_port": free_port_run(INSTANCES),
    })


# Package scope: the stack and its databases go as soon as the last production test is done.
@pytest.fixture(scope="package")
def production_databases(postgres_server: PostgresServer) -> Iterator[tuple]:  # type: ignore[type-arg]
    """(records, conversations): two fresh databases for this run, records migrated by Alembic."""
    records = postgres_server.fresh_database("prodrecords")
    upgrade(records)
    yield records, postgres_server.fresh_database("prodtracker")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, production_databases: tuple,  # type: ignore[type-arg]
          redis_target: RedisTarget) -> Iterator[Stack]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("production")
    records, tracker = production_databases
    with http_receiver() as webhook, smtp_sink() as mail:
        settings = production_settings(workdir, webhook, mail, records, tracker, redis_target)
        running = Stack(settings, workdir, webhook, mail, redis_target)
        try:
            yield running
        finally:
            running.services.stop()


@pytest.fixture
def healthy(stack: Stack) -> Iterator[Stack]:
    """The stack with every part up, PostgreSQL and Redis too, before and after the test."""
    ensure_postgres_running(stack.settings.database_url)
    ensure_redis_running(stack.redis.url)
    stack.mend()
    try:
        yield stack
    finally:
        ensure_postgres_running(stack.settings.database_url)
        ensure_redis_running(stack.redis.url)


# --- PostgreSQL and Redis on this machine, stopped and started by the fault tests ---------------


def _local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1", "")


def _pg_cluster() -> str:
    versions = sorted((p.name for p in Path("/etc/postgresql").glob("*") if (p / "main").is_dir()),
                      key=lambda v: [int(x) for x in v.split(".") if x.isdigit()])
    if not versions:
        pytest.skip("no PostgreSQL cluster under /etc/postgresql to restart; set TEST_POSTGRES_RESTART")
    return versions[-1]


def _postgres_command(action: str, url: str) -> List[str]:
    override = os.environ.get(f"TEST_POSTGRES_{action.upper()}", "").strip()
    if override:
        return shlex.split(override)
    if not _local(make_url(url).host or ""):
        pytest.skip(f"PostgreSQL is not on this machine: set TEST_POSTGRES_{action.upper()} to {action} it")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_cluster(), "main", action]


def postgres_answers(url: str) -> bool:
    host = make_url(url).host or "127.0.0.1"
    port = str(make_url(url).port or 5432)
    return subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], check=False).returncode == 0


def restart_postgres(url: str) -> None:
    subprocess.run(_postgres_command("restart", url), check=True, capture_output=True, timeout=120)
    _wait(lambda: postgres_answers(url), 60, "PostgreSQL did not come back")


def ensure_postgres_running(url: str) -> None:
    if postgres_answers(url):
        return
    subprocess.run(_postgres_command("start", url), check=False, capture_output=True, timeout=120)
    _wait(lambda: postgres_answers(url), 60, "PostgreSQL could not be started again")


REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


def _redis_commands(url: str) -> tuple:  # type: ignore[type-arg]
    override = os.environ.get("TEST_REDIS_RESTART", "").strip()
    if override:
        return None, shlex.split(override)
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not _local(parts.hostname or "") or (parts.port or 6379) != 6379:
        pytest.skip("Redis is not the one on this machine's port 6379: set TEST_REDIS_RESTART to restart it")
    return ["redis-cli", "-p", "6379", "shutdown", "nosave"], REDIS_START


def restart_redis(url: str) -> None:
    stop, start = _redis_commands(url)
    if stop is not None:
        subprocess.run(stop, check=False, capture_output=True, timeout=30)
        _wait(lambda: not redis_answers(url), 10, "Redis did not stop")
    subprocess.run(start, check=True, capture_output=True, timeout=30)
    _wait(lambda: redis_answers(url), 30, "Redis did not come back")


def ensure_redis_running(url: str) -> None:
    if redis_answers(url):
        return
    _, start = _redis_commands(url)
    subprocess.run(start, check=False, capture_output=True, timeout=30)
    _wait(lambda: redis_answers(url), 30, "Redis could not be started again")


def _wait(condition, seconds: float, message: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)
