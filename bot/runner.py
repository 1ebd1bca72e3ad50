"""Start the Rasa servers, their action servers, the duty alert sender and the web app; stop them together.

Used by `msp serve` (make run) in the foreground, and by the end-to-end tests
with free ports and a throw-away database. With RASA_INSTANCES=N it runs N Rasa
servers, each with its own action server, sharing one tracker store and one
Redis lock store (docs/production.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml
from sqlalchemy.engine import make_url

from bot.rasa_server.errors import EXIT_MISCONFIGURED
from bot.settings import PROJECT_ROOT, VAR_DIR, Settings

MODEL_PATH = PROJECT_ROOT / "models" / "msp.tar.gz"
READY_TIMEOUT_S = 240.0
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


def _child_env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The parent's environment, with every setting as this `settings` has it."""
    env = dict(os.environ)
    env.update(settings.as_env())
    env.update(  # variables that Rasa, rasa_sdk, TensorFlow and Python own, not settings of ours
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SANIC_HOST": "127.0.0.1",
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
            RASA_LOCK_LIFETIME_ENV: str(settings.lock_lifetime_s),
        }
    )
    env.update(extra or {})
    return env


def _fetch(url: str) -> Optional[bytes]:
    """The body of a 200 answer from a loopback server, or None while it is not up."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.read() if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def listening(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --- Children die with their supervisor -------------------------------------------------------
#
# Each child runs in a session of its own, so Ctrl-C in the terminal reaches only
# `msp serve`, which then stops them in order (SIGTERM, then SIGKILL after a grace
# period). If `msp serve` itself dies without that (kill -9, the OOM killer), Linux
# sends each child SIGKILL (PR_SET_PDEATHSIG): nothing is left holding the ports.
# SIGKILL rather than SIGTERM: nothing in a child needs a clean exit to keep its
# promises (a turn is saved whole or not at all and the client is told to resend;
# alerts wait in the outbox), and SIGKILL cannot hang. None of the children starts
# processes of its own (checked with `ps --forest`); the pid file below covers one
# that ever does. The signal comes when the *thread* that started the child ends,
# so children are started from the main thread only.

PR_SET_PDEATHSIG = 1
# A child that refuses to run as configured (EXIT_MISCONFIGURED, sysexits' EX_CONFIG, imported above):
# starting it again cannot help, so `supervise` gives up at once.
_prctl: Optional[Callable[..., int]] = None


def _load_prctl() -> Optional[Callable[..., int]]:
    """libc's prctl, looked up in the parent, so the child only calls it."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.prctl
        function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        function.restype = ctypes.c_int
        _prctl = function
    return _prctl


def die_with_parent() -> Optional[Callable[[], None]]:
    """A `preexec_fn` that makes the child die (SIGKILL) when this process dies; None off Linux."""
    prctl = _load_prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:  # runs in the child, between fork and exec
        if prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            os.write(2, b"msp serve: could not tie this process to its supervisor (prctl)\n")
            os._exit(126)
        # The parent may have died between fork and prctl: then no signal would ever come.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _cmdline(pid: int) -> List[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def reap_stale(pid_file: Path) -> List[int]:
    """Stop what a crashed `msp serve` left behind, from its pid file; refuse if it still runs.

    Each child leads a process group of its own, so a group holds the child and
    anything it started. A pid the kernel has since given to another program
    (its command line differs) is left alone. Returns the groups stopped.
    """
    if not pid_file.exists():
        return []
    try:
        data = json.loads(pid_file.read_text())
        supervisor = int(data["supervisor"])
        children = [(int(entry[0]), [str(a) for a in entry[1]]) for entry in data["children"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pid_file.unlink(missing_ok=True)  # unreadable: nothing to go on
        return []
    argv, running = [str(a) for a in data.get("argv") or []], _cmdline(supervisor)
    if supervisor != os.getpid() and argv and running[: len(argv)] == argv:
        raise RuntimeError(
            f"msp serve is already running (pid {supervisor}, see {pid_file}). Stop it first."
        )
    stopped = []
    for pid, command in children:
        now = _cmdline(pid)
        if now and now[: len(command)] != command:
            continue  # the pid now belongs to another program
        try:
            os.killpg(pid, signal.SIGKILL)
            stopped.append(pid)
        except (ProcessLookupError, PermissionError):
            pass
    pid_file.unlink(missing_ok=True)
    return stopped


@dataclass
class Services:
    """The children of `msp serve`: N Rasa instances, N action servers, the sender, the web app.

    Instance k (from 0) is Rasa on RASA_PORT+k, whose endpoints file points at
    its own action server on ACTIONS_PORT+k. With one instance the children are
    named "rasa" and "actions"; with more, "rasa-0", "actions-0", "rasa-1"...
    """

    settings: Settings
    model: Path = MODEL_PATH
    endpoints: Path = VAR_DIR / "endpoints.yml"
    log_dir: Optional[Path] = None
    processes: List[subprocess.Popen] = field(default_factory=list)
    # pid -> "actions" / "rasa" / "sender", so a message can say which one stopped.
    names: Dict[int, str] = field(default_factory=dict)
    with_web: bool = True
    # Where the children's pids are written while they run (None: nowhere), so the next
    # start can clear up after a crash of this supervisor.
    pid_file: Optional[Path] = None
    # name -> the command that starts it, so one child can be started again alone.
    commands: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_urls[0]

    @property
    def rasa_urls(self) -> List[str]:
        return self.settings.rasa_urls

    @property
    def actions_url(self) -> str:
        return self.settings.actions_urls[0]

    @property
    def actions_urls(self) -> List[str]:
        return self.settings.actions_urls

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def instance_name(self, kind: str, k: int) -> str:
        """"rasa" / "actions" alone; "rasa-k" / "actions-k" when there are several instances."""
        return kind if self.settings.rasa_instances == 1 else f"{kind}-{k}"

    def endpoints_path(self, k: int) -> Path:
        if self.settings.rasa_instances == 1:
            return self.endpoints
        return self.endpoints.with_name(f"{self.endpoints.stem}-{k}{self.endpoints.suffix}")

    def ports(self) -> Dict[str, int]:
        """Every port the children listen on, by child."""
        ports = {}
        for k in range(self.settings.rasa_instances):
            ports[self.instance_name("rasa", k)] = self.settings.rasa_port + k
            ports[self.instance_name("actions", k)] = self.settings.actions_port + k
        if self.with_web:
            ports["web"] = self.settings.web_port
        return ports

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "a")  # noqa: SIM115 (lives with the child)
        process = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=_child_env(self.settings),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # only prctl and getppid run in the child
        )
        if out is not None:
            out.close()  # the child has its own copy
        self.processes.append(process)
        self.names[process.pid] = name
        self.commands[name] = list(args)
        self._write_pid_file()
        return process

    def _write_pid_file(self) -> None:
        if self.pid_file is None:
            return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "supervisor": os.getpid(),
            "argv": _cmdline(os.getpid()),
            "children": [[p.pid, p.args, self.names.get(p.pid)] for p in self.processes
                         if isinstance(p.args, list) and p.poll() is None],
        }
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(self.pid_file)

    def name_of(self, process: subprocess.Popen) -> str:
        return self.names.get(process.pid, "a process")

    def process(self, name: str) -> Optional[subprocess.Popen]:
        """The running (or last) child of that name."""
        return next((p for p in reversed(self.processes) if self.names.get(p.pid) == name), None)

    def _rasa_command(self, k: int) -> List[str]:
        return [sys.executable, "-m", "rasa", "run", "--enable-api",
                "--auth-token", self.settings.rasa_auth_token,
                "--interface", "127.0.0.1", "--port", str(self.settings.rasa_port + k),
                "--model", str(self.model), "--endpoints", str(self.endpoints_path(k)),
                "--credentials", str(PROJECT_ROOT / "credentials.yml")]

    def _actions_command(self, k: int) -> List[str]:
        # rasa_sdk's server, answering only Rasa's bearer token (bot/actions_server.py).
        return [sys.executable, "-m", "bot.actions_server", "--actions", "bot.actions",
                "--port", str(self.settings.actions_port + k)]

    def start(self) -> None:
        if not self.model.exists():
            raise SystemExit(f"No trained model at {self.model}. Run `make train` first.")
        problems = production_problems(self.settings)
        if not self.settings.web_channel_secret:
            # Each Rasa instance would refuse to start without it (bot/rasa_server/channel.py): say so now.
            problems.append("WEB_CHANNEL_SECRET is not set: run `msp setup` (make run does) or set it.")
        if problems:
            raise RuntimeError(" ".join(problems))
        if self.pid_file is not None:
            reap_stale(self.pid_file)
        self._check_ports_free()
        for k in range(self.settings.rasa_instances):
            write_endpoints(self.settings, self.endpoints_path(k), k)
        for k in range(self.settings.rasa_instances):
            self._spawn(self.instance_name("actions", k), self._actions_command(k))
        for k in range(self.settings.rasa_instances):
            self._spawn(self.instance_name("rasa", k), self._rasa_command(k))
        # The duty alert sender: delivers what the action servers write to the outbox.
        self._spawn("sender", [sys.executable, "-m", "bot.alerts.sender"])
        if self.with_web:
            # The web app: the chat page, the only part meant to face people.
            self._spawn("web", [sys.executable, "-m", "bot.web.serve"])

    def _check_ports_free(self, wait_s: float = 5.0) -> None:
        """Fail at once, naming the port, rather than after Rasa has spent a minute loading."""
        deadline = time.monotonic() + wait_s  # a group just stopped may take a moment to let go
        while True:
            busy = [f"{name} {port}" for name, port in self.ports().items() if listening(port)]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"something already listens on 127.0.0.1 port(s) {', '.join(busy)}: another "
                    "`msp serve`? Stop it, or choose other ports (RASA_PORT, ACTIONS_PORT, WEB_PORT)."
                )
            time.sleep(0.25)

    def respawn(self, name: str) -> subprocess.Popen:
        """Start that child again (its old process, if still running, is stopped first)."""
        old = self.process(name)
        if old is not None:
            if old.poll() is None:
                _stop_group(old, grace=10.0)
            self.processes.remove(old)
            self.names.pop(old.pid, None)
        return self._spawn(name, self.commands[name])

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Every server answers, each Rasa has loaded the model, and no process (the sender too) has died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    name = self.name_of(process)
                    self.stop()
                    raise RuntimeError(f"{name} stopped while starting (exit {process.returncode})")
            if self.ready():
                return
            time.sleep(1.0)
        self.stop()
        raise RuntimeError(f"servers not ready after {timeout:.0f}s")

    def ready(self, names: Optional[List[str]] = None) -> bool:
        """The named children (all by default) answer; a Rasa instance once its model is loaded."""
        for k in range(self.settings.rasa_instances):
            rasa, actions = self.instance_name("rasa", k), self.instance_name("actions", k)
            if names is None or actions in names:
                if _fetch(f"{self.actions_urls[k]}/health") is None:
                    return False
            if names is None or rasa in names:
                status = _fetch(f"{self.rasa_urls[k]}/status?token={self.settings.rasa_auth_token}")
                if b"model_file" not in (status or b""):
                    return False
        if self.with_web and (names is None or "web" in names):
            return _fetch(f"{self.web_url}/healthz") is not None
        return True

    def stop(self, grace: float = 15.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for process in self.processes:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self.processes.clear()
        self.names.clear()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def supervise(self, restarts: int = 5, window_s: float = 600.0,
                  report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
                  ) -> Tuple[str, int]:
        """Start again any child that dies; the others carry on meanwhile.

        A child that has died more than `restarts` times within `window_s` is
        failing, not crashing, and one that refuses its configuration (exit 78)
        will not do better next time: give up and return its name and last exit
        code (`msp serve` then stops everything and exits 1, for systemd or a person).
        """
        deaths: Dict[str, List[float]] = {}
        while True:
            for process in list(self.processes):
                code = process.poll()
                if code is None:
                    continue
                name = self.name_of(process)
                now = time.monotonic()
                deaths[name] = [t for t in deaths.get(name, []) if now - t < window_s] + [now]
                if len(deaths[name]) > restarts or code == EXIT_MISCONFIGURED:
                    return name, code
                report(f"The {name} process stopped (exit {code}); starting it again.")
                self.respawn(name)
            time.sleep(0.5)


PARTS = ("rasa", "actions", "web", "sender")


def part_command(settings: Settings, kind: str, instance: int = 0,
                 endpoints: Path = VAR_DIR / "endpoints.yml") -> Tuple[List[str], Dict[str, str]]:
    """The command and environment of one part, for a process manager that runs each on its own.

    `msp part rasa --instance K` (systemd's msp-rasa@K, deploy/systemd/) writes
    instance K's endpoints file, exactly as `msp serve` does, and becomes that
    Rasa server; `actions` its action server; `web --instance K` a web app on
    WEB_PORT+K; `sender` the duty alert sender (run one).
    """
    services = Services(settings, endpoints=endpoints)
    extra: Dict[str, str] = {}
    if kind in ("rasa", "actions") and not 0 <= instance < settings.rasa_instances:
        raise ValueError(f"instance {instance} does not exist: RASA_INSTANCES={settings.rasa_instances}")
    problem = part_secret_problem(settings, kind)
    if problem:
        raise ValueError(problem)
    if kind == "rasa":
        problems = production_problems(settings)
        if problems:
            raise ValueError(" ".join(problems))
        write_endpoints(settings, services.endpoints_path(instance), instance)
        command = services._rasa_command(instance)
    elif kind == "actions":
        command = services._actions_command(instance)
    elif kind == "web":
        command = [sys.executable, "-m", "bot.web.serve"]
        extra["WEB_PORT"] = str(settings.web_port + instance)
    elif kind == "sender":
        command = [sys.executable, "-m", "bot.alerts.sender"]
    else:
        raise ValueError(f"no part called {kind!r}: one of {', '.join(PARTS)}")
    return command, _child_env(settings, extra)


def part_secret_problem(settings: Settings, kind: str) -> str:
    """Why this part cannot run apart from the others with these secrets ("" when it can).

    Parts started one by one each read the settings: a token made up in each
    would differ, and Rasa, its action server and the web app would refuse
    each other. `msp serve` hands its own to its children, so it needs neither set.
    """
    if kind in ("rasa", "actions", "web") and settings.token_generated:
        return ("RASA_AUTH_TOKEN is not set: the parts run apart and must share it "
                "(Rasa, its action server and the web app). Run `msp setup` or set it.")
    if kind in ("rasa", "web") and not settings.web_channel_secret:
        return ("WEB_CHANNEL_SECRET is not set: the web app signs each person's message to Rasa with it. "
                "Run `msp setup` or set it.")
    return ""


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
