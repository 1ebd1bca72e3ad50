"""One child process: its environment, starting it, asking whether it answers, and stopping it,
and what a crashed supervisor left behind.
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
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional

from bot.runner.endpoints import RASA_LOCK_LIFETIME_ENV
from bot.settings import PROJECT_ROOT, Settings


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


def start_child(args: List[str], env: Dict[str, str], log: Optional[Path] = None) -> subprocess.Popen:
    """One child in a session of its own, dying with this process; its output appended to `log`."""
    out = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "a")  # noqa: SIM115 (lives with the child)
    process = subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # only prctl and getppid run in the child
    )
    if out is not None:
        out.close()  # the child has its own copy
    return process


def signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal a child's whole process group (it started its own session); one already gone is fine."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    """Wait for a child that was asked to stop; past `timeout`, kill its group and reap it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait()


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    signal_group(process, signal.SIGTERM)
    wait_or_kill(process, grace)
