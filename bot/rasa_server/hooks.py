"""The small hooks into Rasa's message processing: a message is answered and saved, or it fails loudly.

"No silent loss". Rasa 3.6.21 has several ways of dropping a conversation,
or a turn of it, while the person is told nothing. Each hook a.-c. below
closes one; d. keeps the person's words out of tracebacks, e. removes a
cost Rasa pays on every custom action, and f. keeps a turn inside its lock. They are installed once per
process, idempotently, when this module is imported: `bot/rasa_server/channel.py`
and `bot/rasa_server/tracker_store.py` import it, and Rasa imports both when it starts
with our credentials and endpoints files.
Every hook leaves Rasa's behaviour alone for anything that is not ours.

What escapes to the REST channel, which answers 503 with `"reason":
"not_saved"` (the web app then asks the person to send it again):

- `TrackerStoreUnavailable` (raised by `bot.rasa_server.tracker_store.StrictSQLTrackerStore`):
  the conversation could not be read or saved;
- `ActionServerUnavailable`: a custom action could not be run.

Both are in `bot/rasa_server/errors.py`, with `EXIT_MISCONFIGURED`.

Why "send it again" is safe: `MessageProcessor.handle_message`
(`rasa/core/processor.py` l. 152-178) reads the tracker and logs the message
*without* saving it (`log_message(message, should_save_tracker=False)`,
l. 157), runs slot extraction (l. 167) and the prediction loop (l. 169), and
saves once, at the end (`save_tracker`, l. 173). `SQLTrackerStore.save`
writes all the new events in one transaction. So an exception anywhere before
that save leaves nothing of the message in the tracker store, and the same
message sent again is handled from the same point. (The action server may
already have written the answer to the record; those writes are keyed by
conversation, stage and question, so doing them again changes nothing.)

Paths below are under rasa/ in Rasa 3.6.21.

a. A failed tracker save or read propagates.
   `Agent._create_tracker_store` (`core/agent.py` l. 519-528) always wraps the
   configured store in `FailSafeTrackerStore`. Its `save` (`core/tracker_store.py`
   l. 1453-1459) catches any exception, calls `on_tracker_store_error` and then
   saves to an in-memory store, so the turn lives only in this process
   (RasaHQ/rasa#3243). Its `retrieve`, `keys` and `retrieve_full_tracker`
   (l. 1437-1451, 1461-1473) catch, call `on_tracker_store_retrieve_error` /
   `on_tracker_store_error`, and return None or [], and for None
   `get_or_create_tracker` (l. 191-213) quietly starts a new conversation.
   Both callbacks (l. 1425-1435, 1475-1491) are called inside the `except`
   block, before the fallback. The hook wraps the two methods: a
   `TrackerStoreUnavailable` is raised again from there, so it leaves
   `FailSafeTrackerStore` before any fallback. Any other error (another store)
   keeps Rasa's handling.

b. A custom action that cannot be run propagates as `ActionServerUnavailable`.
   `RemoteAction.run` (`core/actions/action.py` l. 748-838) turns a 400 from
   the action server into `ActionExecutionRejection` (l. 801-808: a form
   rejecting), and connection errors, timeouts and other statuses into
   `RasaException` (l. 809-838; a timeout is aiohttp's `asyncio.TimeoutError`,
   which passes through unchanged). `MessageProcessor._run_action`
   (`core/processor.py` l. 967-1019) handles the rejection (l. 985-992), but
   for every other exception logs "Bot will continue, but the actions events
   are lost" and carries on with `events = []` (l. 993-1000; RasaHQ/rasa#3075).
   Two wrappers:
   - `RemoteAction.run`: `ActionExecutionRejection` passes unchanged (Rasa's
     normal handling); any other exception becomes `ActionServerUnavailable`
     (it is no `RasaException`, so `ActionExtractSlots._run_custom_action`,
     l. 1124, which catches those, cannot swallow it either).
   - `MessageProcessor._run_action`: while it runs, the failure travels as
     `_PastRasasCatchAll`, a `BaseException`, so `except Exception` at l. 993
     cannot catch it (nothing between the two wrappers catches
     `BaseException`: `LoopAction.run`, `FormAction.validate_slots` and
     `_run_action` await directly, with no `except` or `finally` of their
     own). The wrapper turns it back into the `ActionServerUnavailable` at
     once, before anything else runs, so nothing after the failed action is
     predicted, run or logged as "the bot will continue".
   Outside `_run_action` (slot extraction in `handle_message`, l. 167) the
   plain `ActionServerUnavailable` is raised.

c. At start, an instance refuses to run without our tracker store.
   An unknown or unimportable tracker store class silently becomes an
   `InMemoryTrackerStore` (`_load_from_module_name_in_endpoint_config`,
   `core/tracker_store.py` l. 1540-1568), and every conversation would then
   live in this process only. `refuse_unless_our_tracker_store` (in
   `bot/rasa_server/tracker_store.py`, beside the store it looks for, so that this module
   never imports that one) is an `after_server_start` listener on our channel's blueprint
   (`TrustedRestInput.blueprint`). `rasa run` registers the channel
   blueprints (`core/run.py` l. 149, via `core/channels/channel.py` l. 96)
   and then `load_agent_on_start` as a `before_server_start` listener
   (l. 249-251); Sanic runs every `before_server_start` listener before any
   `after_server_start` one, so the agent and its tracker store exist when
   the check runs. The port is already open then, but Sanic awaits these
   listeners inline (`sanic/signals.py` l. 187-191), Rasa adds none of its own
   and this one never awaits, so no request is served before it decides. It
   unwraps `FailSafeTrackerStore`, requires `StrictSQLTrackerStore` pointed at
   TRACKER_STORE_URL, and otherwise logs one critical line (no password) and
   raises `SystemExit`, which leaves Sanic's `serve` (`sanic/server/runners.py`
   l. 151) and `app.run` (`sanic/app.py` l. 1207-1211, which logs and
   re-raises): the process exits with `EXIT_MISCONFIGURED`.

d. Tracebacks in Rasa's logs never show local variables.
   Rasa logs through structlog, configured by `configure_structlog`
   (`utils/log_utils.py` l. 73-135): without a terminal (as under `msp serve`
   or systemd) its tracebacks go through `structlog.processors.dict_tracebacks`,
   whose `ExceptionDictTransformer` has `show_locals=True` (structlog 23.3);
   in a terminal, `ConsoleRenderer` prints them with Rich, locals shown too.
   A frame's locals hold the person's message (`text`, `message`, a tracker).
   `without_locals` switches both off in the processors configured, and wraps
   `configure_structlog` so a later configuration is treated the same.

e. An action server's answer is checked against a schema that is itself
   checked once, not on every call. `RemoteAction._validate_action_result`
   (`core/actions/action.py` l. 699-713) calls `jsonschema.validate`, which
   first checks the schema against its metaschema (draft 2020-12 with
   jsonschema 4.17, about 40 ms of CPU) and builds a new validator, for every
   custom action run: several per turn. Profiled under 20 concurrent
   conversations, that was half of the Rasa server's CPU, and the starter bot,
   which runs no custom action, never pays it. The wrapper checks the schema
   and builds the validator once per spec, then validates each answer with it
   (about 2.5 ms). An answer that fails is handed to Rasa's own function, so
   the error raised and its message stay Rasa's.

f. A turn does not outlive its conversation's lock waiting for a hung action
   server: `wait_for_actions_as_set`, an `after_server_start` listener beside
   c., gives each custom action ACTION_TIMEOUT_S instead of Rasa's 5 minutes.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from typing import Any, Callable, Dict, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore

from bot.rasa_server.errors import ActionServerUnavailable, TrackerStoreUnavailable

logger = logging.getLogger(__name__)

# Marks a function as one of our wrappers; holds what it wraps.
_WRAPPED = "_msp_wraps"


class _PastRasasCatchAll(BaseException):
    """Carries an `ActionServerUnavailable` past `except Exception` in `_run_action`; never leaves it."""

    def __init__(self, error: ActionServerUnavailable) -> None:
        super().__init__(str(error))
        self.error = error


# True while MessageProcessor._run_action runs (per task: each request has its own context).
_in_run_action: contextvars.ContextVar[bool] = contextvars.ContextVar("msp_in_run_action", default=False)


def _installed(function: Any) -> bool:
    return getattr(function, _WRAPPED, None) is not None


# a. --------------------------------------------------------------------------------------------


def _reraise_ours(original: Callable[[Any, Exception], None]) -> Callable[[Any, Exception], None]:
    """FailSafeTrackerStore's error callback, except that our store's failure is raised again."""

    @functools.wraps(original)
    def on_error(self: FailSafeTrackerStore, error: Exception) -> None:
        if isinstance(error, TrackerStoreUnavailable):
            raise error
        original(self, error)

    setattr(on_error, _WRAPPED, original)
    return on_error


# b. --------------------------------------------------------------------------------------------


def _remote_run_fails_loudly(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Any]:
        try:
            return await original(self, *args, **kwargs)  # type: ignore[no-any-return]
        except ActionExecutionRejection:
            raise  # a form rejecting: Rasa's own handling
        except ActionServerUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 (every other failure: the action's events would be lost)
            error = ActionServerUnavailable(self.name(), exc)
            if _in_run_action.get():
                raise _PastRasasCatchAll(error) from exc
            raise error from exc

    setattr(run, _WRAPPED, original)
    return run


def _run_action_lets_it_through(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def _run_action(self: MessageProcessor, *args: Any, **kwargs: Any) -> bool:
        token = _in_run_action.set(True)
        try:
            return await original(self, *args, **kwargs)  # type: ignore[no-any-return]
        except _PastRasasCatchAll as passed:
            raise passed.error from passed.__cause__
        finally:
            _in_run_action.reset(token)

    setattr(_run_action, _WRAPPED, original)
    return _run_action


# f. (c. is in bot/rasa_server/tracker_store.py) ------------------------------------------------------------


async def wait_for_actions_as_set(_app: Any, _loop: Any) -> None:
    """Sanic `after_server_start` listener: Rasa waits ACTION_TIMEOUT_S for an action, not 5 minutes.

    `RemoteAction.run` (`core/actions/action.py` l. 780-784) passes the module's
    `DEFAULT_REQUEST_TIMEOUT` (300 s, `core/constants.py`) to each call. A hung
    action server would then hold the turn far past its conversation's lock
    (`LOCK_LIFETIME_S`) and the chat page's wait (`RASA_TIMEOUT_S`): the person
    is told to send it again while the first turn may still finish and be saved
    beside the second. With the limit below the lock's lifetime, a hung action
    fails as `ActionServerUnavailable` (b. above), nothing is saved, and the
    person is told in time.
    """
    from rasa.core.actions import action as rasa_action

    from bot.settings import load_settings

    rasa_action.DEFAULT_REQUEST_TIMEOUT = load_settings().action_timeout_s  # type: ignore[assignment]
    logger.info("Custom actions are given %.1f s each.", rasa_action.DEFAULT_REQUEST_TIMEOUT)


# e. --------------------------------------------------------------------------------------------

# One validator per response spec (keyed by the function that makes the spec).
_response_validators: Dict[Any, Any] = {}


def response_validator(action: RemoteAction) -> Any:
    """The jsonschema validator for `action`'s response spec, its schema checked once."""
    from jsonschema.validators import validator_for

    make_spec = type(action).action_response_format_spec
    validator = _response_validators.get(make_spec)
    if validator is None:
        spec = make_spec()
        cls = validator_for(spec)
        cls.check_schema(spec)  # as jsonschema.validate does, once
        validator = _response_validators[make_spec] = cls(spec)
    return validator


def _validate_with_a_checked_schema(original: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    @functools.wraps(original)
    def _validate_action_result(self: RemoteAction, result: Any) -> bool:
        if response_validator(self).is_valid(result):
            return True
        return original(self, result)  # Rasa's own error, with its message

    setattr(_validate_action_result, _WRAPPED, original)
    return _validate_action_result


# Installing ------------------------------------------------------------------------------------


def without_locals() -> None:
    """Rasa's structlog processors, with no local variables in any traceback (d. above)."""
    import structlog
    from structlog.tracebacks import ExceptionDictTransformer

    for processor in structlog.get_config().get("processors", []):
        transformer = getattr(processor, "format_exception", None)
        if isinstance(transformer, ExceptionDictTransformer):
            transformer.show_locals = False
        if isinstance(processor, structlog.dev.ConsoleRenderer):
            processor._exception_formatter = structlog.dev.plain_traceback


def _configure_then_hide_locals(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def configure_structlog(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        without_locals()

    setattr(configure_structlog, _WRAPPED, original)
    return configure_structlog


def install() -> None:
    """Install every hook; safe to call again (each wrapper is applied once)."""
    from rasa.utils import log_utils

    if not _installed(log_utils.configure_structlog):
        log_utils.configure_structlog = _configure_then_hide_locals(log_utils.configure_structlog)
    without_locals()
    for name in ("on_tracker_store_error", "on_tracker_store_retrieve_error"):
        current = getattr(FailSafeTrackerStore, name)
        if not _installed(current):
            setattr(FailSafeTrackerStore, name, _reraise_ours(current))
    if not _installed(RemoteAction.run):
        RemoteAction.run = _remote_run_fails_loudly(RemoteAction.run)  # type: ignore[method-assign]
    if not _installed(MessageProcessor._run_action):
        MessageProcessor._run_action = _run_action_lets_it_through(  # type: ignore[method-assign]
            MessageProcessor._run_action
        )
    if not _installed(RemoteAction._validate_action_result):
        RemoteAction._validate_action_result = _validate_with_a_checked_schema(  # type: ignore[method-assign]
            RemoteAction._validate_action_result
        )


def installed() -> bool:
    """Whether every hook is in place (for tests and the start check)."""
    return all(
        _installed(f)
        for f in (
            FailSafeTrackerStore.on_tracker_store_error,
            FailSafeTrackerStore.on_tracker_store_retrieve_error,
            RemoteAction.run,
            MessageProcessor._run_action,
            RemoteAction._validate_action_result,
        )
    )


install()
