"""The action server: rasa_sdk's, answering only Rasa, and never echoing a request back.

Started as `python -m bot.actions_server --actions bot.actions --port N` (by
`msp serve`, `msp part actions` and the end-to-end tests: `bot/runner/`
`Services._actions_command`), with rasa_sdk's own command-line options.

Why not `python -m rasa_sdk`: rasa_sdk 3.6.2 answers anyone who can reach its
port (a crafted call to `action_human_contact` once created a duty alert for a
made-up conversation), and it has no option for a credential. Its plugin hook
(`rasa_sdk/plugin.py`, a package called `rasa_sdk_plugins` found on the path)
would be left out, silently, by a start from anywhere else; this entry point
cannot be. It wraps `rasa_sdk.endpoint.create_app` and otherwise starts the
server as `rasa_sdk.endpoint.run` does (its plugins, SANIC_HOST, workers, TLS):

- Every route but `/health` needs `Authorization: Bearer <RASA_AUTH_TOKEN>`,
  which Rasa sends from its endpoints file (`bot/runner/` `write_endpoints`
  puts it under `action_endpoint.headers`; `rasa/utils/endpoints.py`
  `EndpointConfig.request` adds those headers to every call). Anything else
  gets 401 and a JSON error before rasa_sdk reads the body. With no token
  configured (RASA_AUTH_TOKEN unset, so only a made-up one) it refuses every
  call but `/health`, and says so at start: fail closed.
- rasa_sdk's handler for any exception (`endpoint.py`, `exception_handler`)
  answers 500 with `{"error": str(exception), "request_body": request.json}`:
  the tracker, with the person's words, echoed to the caller. Ours answers a
  plain JSON error, and logs the error's type and where it happened, never its
  message (which may quote the tracker). Sanic's own errors (400 for a body
  that is not JSON, 404, 405) keep their status.
"""

from __future__ import annotations

import logging
import os
import traceback
from http import HTTPStatus
from typing import List, Optional, Sequence

from rasa_sdk import endpoint as sdk
from rasa_sdk import utils as sdk_utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channel_auth import bearer, token_matches

logger = logging.getLogger(__name__)

OPEN_PATHS = ("/health",)
NO_TOKEN = "this action server answers only Rasa: send Authorization: Bearer <RASA_AUTH_TOKEN>"
WRONG_TOKEN = "the token is not right"
NOT_CONFIGURED = "this action server has no RASA_AUTH_TOKEN configured, so it answers no one"
FAILED = "the action server could not run the action"


def _refuse(error: str) -> HTTPResponse:
    return response.json({"error": error}, status=401, headers={"WWW-Authenticate": 'Bearer realm="actions"'})


def only_rasa(app: Sanic, token: Optional[str]) -> None:
    """Request middleware: every route but /health needs the bearer token; none at all without one."""

    async def check_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if not token:
            return _refuse(NOT_CONFIGURED)
        offered = bearer(request.headers.get("Authorization"))
        if offered is None:
            return _refuse(NO_TOKEN)
        if not token_matches(offered, token):
            return _refuse(WRONG_TOKEN)
        return None

    app.register_middleware(check_token, "request")


def _where(exc: BaseException) -> str:
    """Where an error happened, file:line, without its message (which may quote the person)."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))


async def answer_without_the_body(request: Request, exception: Exception) -> HTTPResponse:
    """In place of rasa_sdk's 500 handler: a plain JSON error, nothing of the request in it or the log."""
    if isinstance(exception, SanicException):
        status = int(getattr(exception, "status_code", 500) or 500)
        if status < 500:
            return response.json({"error": HTTPStatus(status).phrase}, status=status)
    logger.error("actions: %s %s failed: %s at %s", request.method, request.path,
                 type(exception).__name__, _where(exception))
    return response.json({"error": FAILED}, status=500)


def create_app(actions: str = "bot.actions", token: Optional[str] = None,
               cors_origins: Optional[List[str]] = None) -> Sanic:
    """rasa_sdk's app for these actions, answering only a caller with `token`."""
    app = sdk.create_app(actions, cors_origins=cors_origins)
    only_rasa(app, token)
    # Replaces the handler rasa_sdk registered for Exception (one per exception type and route).
    app.error_handler.add(Exception, answer_without_the_body)
    return app


def configured_token() -> Optional[str]:
    """RASA_AUTH_TOKEN as set for this process, or None when only a made-up one exists."""
    from bot.settings import load_settings

    settings = load_settings()
    return None if settings.token_generated else settings.rasa_auth_token


def main(argv: Optional[Sequence[str]] = None) -> None:
    """`rasa_sdk.__main__.main` with our app: the same options, logging and start."""
    args = sdk.create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    sdk_utils.configure_colored_logging(args.loglevel)
    sdk_utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                     args.loglevel, args.logging_config_file)
    sdk_utils.update_sanic_log_level()
    token = configured_token()
    if token:
        logger.info("The action server answers only callers with RASA_AUTH_TOKEN (health checks aside).")
    else:
        logger.critical("RASA_AUTH_TOKEN is not set: this action server refuses every call but /health. "
                        "Set it (msp setup writes one into .env); Rasa sends it from its endpoints file.")
    app = create_app(args.actions or "bot.actions", token, args.cors)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = sdk.create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    # rasa_sdk's own variable and default, not a setting of ours (msp sets 127.0.0.1 for its children).
    host = os.environ.get("SANIC_HOST", "0.0.0.0")  # noqa: S104
    logger.info("Action endpoint is up and running on %s://%s:%s",
                "https" if ssl_context else "http", host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=sdk_utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
