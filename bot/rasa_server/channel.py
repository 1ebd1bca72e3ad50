"""Rasa's REST channel, except that it answers only its own callers and a person's text is never a command.

Who may post (the record contract, "Each server trusts only its own callers";
`bot/channel_auth.py`): every request carries one of two credentials, or it is
refused with 401 and a JSON error before its body is even read:

- RASA_AUTH_TOKEN (a `token` query parameter or an `Authorization: Bearer`
  header): a trusted client, whose "/" messages are commands;
- the web app's signature, `X-MSP-Signature: sha256=<hex>`, the HMAC-SHA256
  of the raw request body keyed with WEB_CHANNEL_SECRET: a person's words,
  never a command. The web app vouches for the whole body, metadata too.

A wrong token or a bad signature is refused too (never read as "no
credential, so words"). Without WEB_CHANNEL_SECRET no signature matches, and
`rasa run` refuses to start (fail closed). The checks go in this order: 413
for a body too big, then 401 without a right credential, then 400 for a bad
body. So knowing a conversation id (it appears in workspace URLs, the audit
log and alert payloads) is not enough to post into someone's conversation.

Why commands need the token: Rasa 3.6 reads any message whose text starts
with "/" as an intent (`/start{"enquiry_ref": ...}`, `/restart`), whoever
sends it. A caller could then open another person's enquiry and have their
wishes read back, or wipe a conversation. Here a message is read that way
only when the request carries RASA_AUTH_TOKEN. A signed message is the
person's words: stored as typed and understood by the NLU pipeline like any
text.

Where Rasa 3.6.21 decides (paths under rasa/):

- `core/channels/channel.py` `UserMessage.__init__` (l. 60) strips the text
  (`str.strip()`); RestInput passes the request's text to it unchanged.
- `core/processor.py` `_handle_message_with_tracker` (l. 790-811): if the
  `UserMessage` has `parse_data` (l. 794), that is used as is; otherwise
  `parse_message` runs the NLU graph. Either way the event stored is
  `UserUttered(message.text, parse_data["intent"], parse_data["entities"], ...)`.
- `parse_message` -> `_parse_message_with_graph` (l. 702-788) runs the graph
  up to `model_metadata.nlu_target`, which `engine/recipes/default_recipe.py`
  (l. 696-702) makes `run_RegexMessageHandler`, the node after the whole
  NLU pipeline. Its `process` (`nlu/classifiers/regex_message_handler.py`
  l. 51-56) calls `YAMLStoryReader.unpack_regex_message`
  (`shared/core/training_data/story_reader/yaml_story_reader.py` l. 602-672),
  which strips the text (l. 619) and, if it starts with
  `INTENT_MESSAGE_PREFIX` ("/", `shared/constants.py` l. 38; l. 622), replaces
  the NLU result with the intent and entities spelled in the text (l. 672).

The hook: for untrusted text that starts with "/" (after whitespace, zero-width
and control characters), this channel runs the same graph with the same
inputs, but targets the node that feeds the RegexMessageHandler
(`DaskGraphRunner.run(targets=...)`, `engine/runner/dask.py` l. 82-89, keeps
only what those targets need, so the handler is not even in the run). It builds parse data the way
`_parse_message_with_graph` does and hands it over as `UserMessage.parse_data`,
a documented constructor argument that the processor honours (l. 794). So the
text the person typed is what NLU reads and what is stored, with no extra
characters; only the shortcut is skipped (and with it the warnings
`unpack_regex_message` logs with the text in them, l. 633-651). Every other
message takes Rasa's normal path untouched.

Other hooks, and why not: an invisible prefix character changes the stored
text and the tokens NLU sees; a `UserMessage` subclass cannot give NLU and the
stored event different texts (both read `.text`); a metadata flag is ignored
by the RegexMessageHandler unless the model is retrained with a custom
component or Rasa is patched globally; a processor subclass or patch would
change every channel and the HTTP API too. Costs of this one: the parse runs
before the conversation lock (as `POST /model/parse` does), and it skips the
processor's retrieval-intent naming (no ResponseSelector here) and its
unseen-intent warnings. It fails closed: with an NLU server (`http_interpreter`)
or a graph whose NLU target is not the RegexMessageHandler it cannot run NLU
without the shortcut, so it answers 503 rather than obey the text.

The channel also answers bad requests with 400/413 and a JSON error where
Rasa answers 500 (RasaHQ/rasa#8481), and never logs the person's text (Rasa's
RestInput logs it when handling fails).

No silent loss: importing this module installs `bot.rasa_server.hooks`, which make a
failed tracker read or save (`TrackerStoreUnavailable`) or a custom action
that could not be run (`ActionServerUnavailable`) reach this channel instead
of being swallowed by Rasa. Nothing of the message is then stored, and the
channel answers 503 with `"reason": "not_saved"`, so the web app can ask the
person to send it again. Any other failure is a 503 without a reason. When
Rasa builds the channel from credentials.yml (`from_credentials`, as `rasa
run` does), its blueprint also carries the start check of `bot.rasa_server.tracker_store`:
the instance refuses to run unless its tracker store is ours, on
TRACKER_STORE_URL.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channel_auth import SIGNATURE_HEADER, bearer, signature_matches, token_matches
from bot.rasa_server.errors import EXIT_MISCONFIGURED
from bot.rasa_server.hooks import wait_for_actions_as_set
from bot.rasa_server.incoming import (
    BAD_SIGNATURE,
    BY_SIGNATURE,
    BY_TOKEN,
    COULD_NOT_ANSWER,
    NO_CREDENTIAL,
    NOT_SAVED,
    NOT_SAVED_ERRORS,
    WRONG_TOKEN,
    CannotParseAsWords,
    Incoming,
    OnNewMessage,
    Refused,
    check_size,
    looks_like_command,
    parse_as_words,
    read_body,
)
from bot.rasa_server.tracker_store import refuse_unless_our_tracker_store
from bot.settings import load_settings

logger = logging.getLogger(__name__)
@functools.lru_cache(maxsize=1)
def _settings_token() -> str:
    """RASA_AUTH_TOKEN, read once. Without one set, no caller is trusted (fail closed)."""
    settings = load_settings()
    if settings.token_generated:
        logger.warning(
            "RASA_AUTH_TOKEN is not set: no caller of the REST channel may send intents"
        )
    return settings.rasa_auth_token


@functools.lru_cache(maxsize=1)
def _settings_secret() -> str:
    """WEB_CHANNEL_SECRET, read once. Without one, no signature matches (fail closed)."""
    return load_settings().web_channel_secret


def _where(exc: BaseException) -> str:
    """Where an error happened, file:line, without its message (which may quote the person)."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))


def _error(status: int, error: str, reason: Optional[str] = None) -> HTTPResponse:
    body = {"error": error} if reason is None else {"error": error, "reason": reason}
    # A 401 names the scheme it wants (RFC 9110); the signature is the other way in.
    headers = {"WWW-Authenticate": 'Bearer realm="rasa"'} if status == 401 else None
    return response.json(body, status=status, headers=headers)


class TrustedRestInput(RestInput):
    """`POST /webhooks/rest/webhook`: only with the token or the web app's signature; commands: the token."""

    def __init__(self, token: Optional[str] = None, check_tracker_store: bool = False,
                 secret: Optional[str] = None) -> None:
        self._token = token or None
        self._secret = secret or None
        # Refuse to run without our tracker store (rasa_server/tracker_store.py) or WEB_CHANNEL_SECRET;
        # on in `rasa run`.
        self._check_tracker_store = check_tracker_store

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TrustedRestInput":
        """`token:` in credentials.yml wins; otherwise RASA_AUTH_TOKEN from the settings.

        Read here, when `rasa run` starts, so broken settings stop the start
        rather than fail a person's message later.
        """
        token = (credentials or {}).get("token")
        return cls(token=str(token) if token else _settings_token(), check_tracker_store=True,
                   secret=_settings_secret())

    def token(self) -> str:
        return self._token or _settings_token()

    def secret(self) -> str:
        return self._secret or _settings_secret()

    def credential(self, request: Request, body: bytes) -> str:
        """`BY_TOKEN` or `BY_SIGNATURE`; `Refused(401)` without a right one.

        Every credential offered must be right: a wrong token or a bad
        signature is refused, never read as "no credential". The token wins
        when both are right (the web app never sends both).
        """
        signatures = list(request.headers.getall(SIGNATURE_HEADER, []))
        if signatures and not (len(signatures) == 1
                               and signature_matches(body, self.secret(), signatures[0])):
            raise Refused(401, BAD_SIGNATURE)
        tokens: List[str] = list(request.args.getlist("token") or [])
        authorization = bearer(request.headers.get("Authorization"))
        if authorization is not None:
            tokens.append(authorization)
        if tokens:
            if not all(token_matches(t, self.token()) for t in tokens):
                raise Refused(401, WRONG_TOKEN)
            return BY_TOKEN
        if signatures:
            return BY_SIGNATURE
        raise Refused(401, NO_CREDENTIAL)

    def user_message(
        self, request: Request, incoming: Incoming, collector: CollectingOutputChannel,
        trusted: bool,
    ) -> UserMessage:
        """The message for Rasa; a "/" text without the token comes with NLU's own parse data."""
        message = UserMessage(
            incoming.text,
            collector,
            incoming.sender,
            input_channel=incoming.input_channel or self.name(),
            metadata=incoming.metadata,
        )
        if looks_like_command(incoming.text) and not trusted:
            message.parse_data = parse_as_words(self._processor(request), message)
        return message

    @staticmethod
    def _processor(request: Request) -> Any:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            raise CannotParseAsWords("no model is loaded")
        return agent.processor

    async def handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """One request: 413, 401, then 400 for a bad one; Rasa's list of replies; or 503 if we fail."""
        body = request.body or b""
        try:
            check_size(body)
            by = self.credential(request, body)
        except Refused as refused:
            if refused.status == 401:
                logger.warning("rest: refused a request from %s: %s", request.ip or "?", refused.error)
            return _error(refused.status, refused.error)
        if request.args.get("stream", "").lower() == "true":
            return _error(400, "stream is not supported; replies come as one JSON list")
        try:
            incoming = read_body(body)
        except Refused as refused:
            return _error(refused.status, refused.error)
        collector = CollectingOutputChannel()
        try:
            await on_new_message(self.user_message(request, incoming, collector, trusted=by == BY_TOKEN))
        except asyncio.CancelledError:
            logger.error("rest: handling for sender %r was cancelled (timeout?)", incoming.sender)
            raise
        except NOT_SAVED_ERRORS as exc:
            # Our own messages: the operation and the cause's type, never the person's words.
            logger.error(
                "rest: nothing of a message from sender %r was saved: %s: %s at %s",
                incoming.sender, type(exc).__name__, exc, _where(exc),
            )
            return _error(503, COULD_NOT_ANSWER, reason=NOT_SAVED)
        except Exception as exc:  # noqa: BLE001 (any failure: a JSON 503, never the person's text)
            logger.error(
                "rest: could not handle a message from sender %r: %s at %s",
                incoming.sender, type(exc).__name__, _where(exc),
            )
            return _error(503, COULD_NOT_ANSWER)
        return response.json(collector.messages)

    async def refuse_without_a_secret(self, _app: Any, _loop: Any) -> None:
        """Sanic `before_server_start` listener: stop this instance when WEB_CHANNEL_SECRET is empty.

        No signature could match, so every person's message would be refused:
        one clear line at start rather than a chat that never answers.
        """
        if not self.secret():
            logger.critical(
                "Refusing to run: WEB_CHANNEL_SECRET is not set, so no signed message (a person's "
                "words from the web app) could be taken. Run `msp setup` or set it. Exiting with status %d.",
                EXIT_MISCONFIGURED,
            )
            raise SystemExit(EXIT_MISCONFIGURED)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """`GET /` for health and `POST /webhook`, under /webhooks/rest/."""
        hooks = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        if self._check_tracker_store:
            # Before the model loads: without the secret the web app could not send a word.
            hooks.listener("before_server_start")(self.refuse_without_a_secret)
            # After Rasa's own listener has loaded the agent, before the first message.
            hooks.listener("after_server_start")(refuse_unless_our_tracker_store)
            hooks.listener("after_server_start")(wait_for_actions_as_set)

        @hooks.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hooks.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hooks
