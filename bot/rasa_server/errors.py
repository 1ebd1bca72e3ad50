"""How the Rasa server's parts fail loudly: the two errors the REST channel answers 503 for, and the
exit status of an instance that refuses to run as configured.

Nothing here imports Rasa, so the supervisor (`bot/runner/`) reads the exit status from here too.
"""

from __future__ import annotations

# The process's exit status when it refuses to run (EX_CONFIG in sysexits.h).
EXIT_MISCONFIGURED = 78


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or saved; nothing of the message being handled is stored.

    Raised by `bot.rasa_server.tracker_store.StrictSQLTrackerStore`. Its message names the
    operation and the cause's type only: never the person's words.
    """


class ActionServerUnavailable(Exception):
    """A custom action could not be run (action server down, timeout, 5xx, a bad answer).

    Not a `RasaException`, so no `except RasaException` in Rasa can swallow it.
    """

    def __init__(self, action_name: str, cause: BaseException) -> None:
        super().__init__(f"the custom action {action_name!r} could not be run ({type(cause).__name__})")
        self.action_name = action_name
