"""`msp part`: one part's command and environment, for a process manager (systemd) that runs each
part on its own (deploy/systemd/).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List, Tuple

from bot.runner.endpoints import production_problems, write_endpoints
from bot.runner.process import _child_env
from bot.runner.services import Services
from bot.settings import VAR_DIR, Settings

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
