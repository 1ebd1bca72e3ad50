"""`msp serve`'s parts without Rasa: production settings, endpoints per instance, and children that
die with their supervisor. Quick; no servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.runner import (
    LOCK_STORE_CLASS,
    RASA_LOCK_LIFETIME_ENV,
    Services,
    _child_env,
    lock_store_endpoint,
    part_command,
    production_problems,
    reap_stale,
    write_endpoints,
)
from bot.settings import PROJECT_ROOT, Settings, load_settings

PRODUCTION_ENV = {
    "DATABASE_URL": "postgresql://msp:secret@db.internal:5432/msp",
    "TRACKER_STORE_URL": "postgresql://msp:secret@db.internal:5432/msp_tracker",
    "LOCK_STORE_URL": "redis://:redis-secret@cache.internal:6380/2",
    "RASA_INSTANCES": "3",
    "LOCK_LIFETIME_S": "12",
    "TRUSTED_PROXIES": "1",
    # Parts started one by one (msp part) must share these: each refuses to start without them.
    "RASA_AUTH_TOKEN": "prod-token",
    "WEB_CHANNEL_SECRET": "prod-channel-secret",
}


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    yield load_settings(Path("/nonexistent/.env"))


def test_production_settings_are_read_and_handed_to_children(production_env: Settings) -> None:
    settings = production_env
    assert (settings.rasa_instances, settings.lock_lifetime_s, settings.trusted_proxies) == (3, 12, 1)
    assert settings.rasa_urls == [f"http://127.0.0.1:{settings.rasa_port + k}" for k in range(3)]
    env = _child_env(settings)
    for name, value in PRODUCTION_ENV.items():
        assert env[name] == value
    assert env[RASA_LOCK_LIFETIME_ENV] == "12"  # what Rasa's lock store reads
    assert production_problems(settings) == []


def test_the_embedded_default_is_one_instance_with_in_memory_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(Path("/nonexistent/.env"))
    assert settings.rasa_instances == 1 and settings.lock_store_url == ""
    assert settings.lock_lifetime_s == 15 and settings.trusted_proxies == 0
    assert settings.tracker_store_url.startswith("sqlite:///")


@pytest.mark.parametrize("name, value", [("RASA_INSTANCES", "0"), ("LOCK_LIFETIME_S", "1.5"),
                                         ("LOCK_KEY_PREFIX", "msp-prod"), ("TRUSTED_PROXIES", "-1")])
def test_bad_production_settings_stop_the_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=name):
        load_settings(Path("/nonexistent/.env"))


def test_an_action_is_given_less_time_than_the_lock_lives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTION_TIMEOUT_S", raising=False)
    monkeypatch.delenv("LOCK_LIFETIME_S", raising=False)
    assert load_settings(Path("/nonexistent/.env")).action_timeout_s == 10.0
    monkeypatch.setenv("LOCK_LIFETIME_S", "6")
    assert load_settings(Path("/nonexistent/.env")).action_timeout_s == 4.0  # two thirds of a short lock
    monkeypatch.setenv("ACTION_TIMEOUT_S", "5.5")
    settings = load_settings(Path("/nonexistent/.env"))
    assert settings.action_timeout_s == 5.5 and _child_env(settings)["ACTION_TIMEOUT_S"] == "5.5"
    for bad in ("6", "30", "0", "soon"):
        monkeypatch.setenv("ACTION_TIMEOUT_S", bad)
        with pytest.raises(SystemExit, match="ACTION_TIMEOUT_S"):
            load_settings(Path("/nonexistent/.env"))


def test_several_instances_need_shared_locks_and_a_database_server() -> None:
    embedded = load_settings().copy(update={"tracker_store_url": "sqlite:///x.db", "lock_store_url": "", "rasa_instances": 2})
    problems = " ".join(production_problems(embedded))
    assert "LOCK_STORE_URL" in problems and "TRACKER_STORE_URL" in problems
    assert production_problems(embedded.copy(update={"rasa_instances": 1})) == []
    wrong = embedded.copy(update={"rasa_instances": 1, "lock_store_url": "http://cache:6379"})
    assert "redis://" in " ".join(production_problems(wrong))


def test_lock_store_endpoint_from_a_redis_url() -> None:
    assert lock_store_endpoint("redis://127.0.0.1:6379/0", "msp") == {
        "type": LOCK_STORE_CLASS, "url": "127.0.0.1", "port": 6379, "db": 0, "key_prefix": "msp"}
    secure = lock_store_endpoint("rediss://user:p%40ss@cache.internal/3", "council1")
    assert secure == {"type": LOCK_STORE_CLASS, "url": "cache.internal", "port": 6379, "db": 3,
                      "key_prefix": "council1", "username": "user", "password": "p@ss", "use_ssl": True}
    with pytest.raises(ValueError):
        lock_store_endpoint("redis://cache/zero", "msp")


def test_each_instance_has_its_own_action_server_and_shares_the_stores(production_env: Settings,
                                                                       tmp_path: Path) -> None:
    services = Services(production_env, endpoints=tmp_path / "endpoints.yml")
    paths = [services.endpoints_path(k) for k in range(3)]
    assert [p.name for p in paths] == ["endpoints-0.yml", "endpoints-1.yml", "endpoints-2.yml"]
    for k, path in enumerate(paths):
        write_endpoints(production_env, path, k)
        endpoints = yaml.safe_load(path.read_text())
        assert endpoints["action_endpoint"]["url"] == f"http://127.0.0.1:{production_env.actions_port + k}/webhook"
        assert endpoints["lock_store"]["type"] == LOCK_STORE_CLASS
        assert endpoints["lock_store"]["db"] == 2 and endpoints["lock_store"]["port"] == 6380
        assert endpoints["tracker_store"]["db"] == "msp_tracker"
        assert path.stat().st_mode & 0o777 == 0o600  # it holds passwords
    assert services.ports()["rasa-2"] == production_env.rasa_port + 2
    assert services.instance_name("rasa", 1) == "rasa-1"


def test_one_instance_keeps_the_embedded_names_and_no_lock_store(tmp_path: Path) -> None:
    settings = load_settings().copy(update={"rasa_instances": 1, "lock_store_url": "",
                                            "tracker_store_url": f"sqlite:///{tmp_path / 't.db'}"})
    services = Services(settings, endpoints=tmp_path / "endpoints.yml")
    assert services.endpoints_path(0) == tmp_path / "endpoints.yml"
    assert services.instance_name("rasa", 0) == "rasa"
    write_endpoints(settings, services.endpoints_path(0))
    assert "lock_store" not in yaml.safe_load((tmp_path / "endpoints.yml").read_text())


# --- children die with their supervisor -------------------------------------------------------

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_when_its_supervisor_is_killed() -> None:
    """A stand-in supervisor starts a child as Services does, and is killed with SIGKILL."""
    supervisor = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         "from bot.runner import die_with_parent\n"
         f"child = subprocess.Popen({SLEEPER!r}, preexec_fn=die_with_parent(), start_new_session=True)\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(120)\n"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
    )
    assert supervisor.stdout is not None
    child = int(supervisor.stdout.readline())
    try:
        assert not _gone(child, within=0.5), "the child runs while its supervisor does"
        supervisor.kill()
        supervisor.wait()
        assert _gone(child), "the child outlived its supervisor"
    finally:
        for pid in (child, supervisor.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _sleeper() -> subprocess.Popen:  # type: ignore[type-arg]
    """A process in a group of its own, once it runs SLEEPER (not the fork before the exec)."""
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")[:-1] != [a.encode() for a in SLEEPER]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


def _write_pid_file(path: Path, supervisor: int, children: list) -> None:  # type: ignore[type-arg]
    path.write_text(json.dumps({"supervisor": supervisor, "argv": ["/no/such/supervisor", "serve"],
                                "children": children}))


def test_a_stale_pid_file_has_its_leftovers_stopped(tmp_path: Path) -> None:
    """After a crash, what is still running under the recorded groups is stopped; a recycled pid is not."""
    leftover, stranger = _sleeper(), _sleeper()
    pid_file = tmp_path / "serve.pids"
    try:
        _write_pid_file(pid_file, 999999, [[leftover.pid, SLEEPER, "rasa-0"],
                                           [stranger.pid, ["/usr/bin/something-else"], "web"]])
        assert reap_stale(pid_file) == [leftover.pid]
        assert leftover.wait(timeout=5) == -signal.SIGKILL
        assert stranger.poll() is None, "a pid now used by another program is left alone"
        assert not pid_file.exists()
    finally:
        for process in (leftover, stranger):
            process.kill()
            process.wait()


def test_a_pid_file_of_a_supervisor_still_running_refuses_a_second_one(tmp_path: Path) -> None:
    running = _sleeper()
    pid_file = tmp_path / "serve.pids"
    try:
        pid_file.write_text(json.dumps({"supervisor": running.pid, "argv": SLEEPER, "children": []}))
        with pytest.raises(RuntimeError, match="already running"):
            reap_stale(pid_file)
        assert pid_file.exists() and running.poll() is None
    finally:
        running.kill()
        running.wait()


def test_an_unreadable_pid_file_is_set_aside(tmp_path: Path) -> None:
    pid_file = tmp_path / "serve.pids"
    pid_file.write_text("{not json")
    assert reap_stale(pid_file) == [] and not pid_file.exists()


def test_a_busy_port_is_named_before_anything_starts(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = load_settings().copy(update={"rasa_instances": 1, "lock_store_url": "", "web_port": port,
                                                "tracker_store_url": f"sqlite:///{tmp_path / 't.db'}"})
        services = Services(settings, endpoints=tmp_path / "endpoints.yml")
        with pytest.raises(RuntimeError, match=f"web {port}"):
            services._check_ports_free(wait_s=0.5)
        assert services.processes == []


def test_one_part_alone_as_a_systemd_unit_runs_it(production_env: Settings, tmp_path: Path) -> None:
    command, env = part_command(production_env, "rasa", 2, endpoints=tmp_path / "endpoints.yml")
    assert command[1:4] == ["-m", "rasa", "run"]
    assert command[command.index("--port") + 1] == str(production_env.rasa_port + 2)
    written = yaml.safe_load((tmp_path / "endpoints-2.yml").read_text())
    assert written["action_endpoint"]["url"].endswith(f":{production_env.actions_port + 2}/webhook")
    assert env[RASA_LOCK_LIFETIME_ENV] == "12"
    command, env = part_command(production_env, "web", 1)
    assert command[-1] == "bot.web.serve" and env["WEB_PORT"] == str(production_env.web_port + 1)
    with pytest.raises(ValueError, match="RASA_INSTANCES=3"):
        part_command(production_env, "actions", 3)
    with pytest.raises(ValueError, match="no part"):
        part_command(production_env, "everything")


def test_a_part_alone_refuses_to_start_without_the_token_and_secret_its_others_share(
        production_env: Settings) -> None:
    """A token made up in each part would differ: Rasa, its action server and the web app would refuse each other."""
    made_up = production_env.copy(update={"token_generated": True})
    for kind in ("rasa", "actions", "web"):
        with pytest.raises(ValueError, match="RASA_AUTH_TOKEN is not set"):
            part_command(made_up, kind)
    no_secret = production_env.copy(update={"web_channel_secret": ""})
    for kind in ("rasa", "web"):
        with pytest.raises(ValueError, match="WEB_CHANNEL_SECRET is not set"):
            part_command(no_secret, kind)
    assert part_command(no_secret, "actions")[0][1:3] == ["-m", "bot.actions_server"]
    assert part_command(made_up.copy(update={"web_channel_secret": ""}), "sender")[0][-1] == "bot.alerts.sender"


def test_msp_serve_refuses_to_start_without_the_channel_secret(tmp_path: Path) -> None:
    settings = load_settings().copy(update={"rasa_instances": 1, "lock_store_url": "", "web_channel_secret": ""})
    services = Services(settings, model=Path(__file__), log_dir=tmp_path / "logs")
    with pytest.raises(RuntimeError, match="WEB_CHANNEL_SECRET is not set"):
        services.start()
    assert services.processes == []


def test_msp_serve_starts_a_dead_child_again_and_gives_up_on_one_that_keeps_dying(tmp_path: Path) -> None:
    services = Services(load_settings().copy(update={"rasa_instances": 1}), log_dir=tmp_path / "logs", with_web=False)
    services._spawn("sender", [sys.executable, "-c", "import sys; sys.exit(3)"])
    said: list = []  # type: ignore[type-arg]
    try:
        assert services.supervise(restarts=2, window_s=60, report=said.append) == ("sender", 3)
    finally:
        services.stop()
    assert said == ["The sender process stopped (exit 3); starting it again."] * 2


def test_a_child_that_refuses_its_configuration_is_not_started_again(tmp_path: Path) -> None:
    services = Services(load_settings().copy(update={"rasa_instances": 1}), log_dir=tmp_path / "logs", with_web=False)
    services._spawn("rasa", [sys.executable, "-c", "import sys; sys.exit(78)"])
    said: list = []  # type: ignore[type-arg]
    try:
        assert services.supervise(report=said.append) == ("rasa", 78)
    finally:
        services.stop()
    assert said == []
