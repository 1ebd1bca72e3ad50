"""Start the Rasa servers, their action servers, the duty alert sender and the web app; stop them together.

Used by `msp serve` (make run) in the foreground, and by the end-to-end tests
with free ports and a throw-away database. With RASA_INSTANCES=N it runs N Rasa
servers, each with its own action server, sharing one tracker store and one
Redis lock store (docs/production.md). In production systemd runs each part on
its own instead (`msp part`, deploy/systemd/).

- `endpoints.py`: what each Rasa instance is given (its endpoints file) and the multi-instance checks;
- `process.py`: one child: its environment, starting it tied to this process, asking whether it
  answers, stopping it, and clearing up after a crashed supervisor;
- `services.py`: `Services`, the children for one configuration, started, watched and stopped together;
- `parts.py`: `msp part`, one part's command for a process manager that runs each part apart.
"""

from bot.runner.endpoints import (
    LOCK_STORE_CLASS,
    RASA_LOCK_LIFETIME_ENV,
    TRACKER_STORE_CLASS,
    action_endpoint,
    lock_store_endpoint,
    production_problems,
    tracker_store_endpoint,
    write_endpoints,
)
from bot.runner.parts import PARTS, part_command, part_secret_problem
from bot.runner.process import _child_env, die_with_parent, listening, reap_stale
from bot.runner.services import MODEL_PATH, READY_TIMEOUT_S, Services

__all__ = [
    "LOCK_STORE_CLASS",
    "MODEL_PATH",
    "PARTS",
    "RASA_LOCK_LIFETIME_ENV",
    "READY_TIMEOUT_S",
    "TRACKER_STORE_CLASS",
    "Services",
    "_child_env",
    "action_endpoint",
    "die_with_parent",
    "listening",
    "lock_store_endpoint",
    "part_command",
    "part_secret_problem",
    "production_problems",
    "reap_stale",
    "tracker_store_endpoint",
    "write_endpoints",
]
