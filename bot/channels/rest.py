"""Rasa's REST channel, except that a person's text is never taken as a command.

Why: Rasa 3.6 reads any message whose text starts with "/" as an intent
(`/start{"enquiry_ref": ...}`, `/restart`), whoever sends it. Anyone who can
reach the webhook could then open another person's enquiry and have their
wishes read back, or wipe a conversation. Here a message is read that way
only when the request carries RASA_AUTH_TOKEN (a `token` query parameter or
an `Authorization: Bearer` header). From anyone else it is the person's
words: stored as typed and understood by the NLU pipeline like any text.

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

No silent loss: importing this module installs `bot.rasa_hooks`, which make a
failed tracker read or save (`TrackerStoreUnavailable`) or a custom action
that could not be run (`ActionServerUnavailable`) reach this channel instead
of being swallowed by Rasa. Nothing of the message is then stored, and the
channel answers 503 with `"reason": "not_saved"`, so the web app can ask the
person to send it again. Any other failure is a 503 without a reason. When
Rasa builds the channel from credentials.yml (`from_credentials`, as `rasa
run` does), its blueprint also carries the start check of `bot.rasa_hooks`:
the instance refuses to run unless its tracker store is ours, on
TRACKER_STORE_URL.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import traceback
import unicodedata
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_hooks import (
    ActionServerUnavailable,
    TrackerStoreUnavailable,
    refuse_unless_our_tracker_store,
    wait_for_actions_as_set,
)
from bot.settings import load_settings

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255
# The web page stops people at 2,000; this is the channel's own limit.
MAX_MESSAGE_CHARS = 20_000
# Room for a longest message written as \uXXXX escapes, plus metadata.
MAX_BODY_BYTES = 1_000_000

COULD_NOT_ANSWER = "the assistant could not answer; please try again"
# The 503's reason when nothing of the message was saved: it is safe, and right, to send it again.
NOT_SAVED = "not_saved"
NOT_SAVED_ERRORS = (TrackerStoreUnavailable, ActionServerUnavailable)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Refused(Exception):
    """A request this channel will not pass on: its HTTP status and a JSON error."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class CannotParseAsWords(RuntimeError):
    """NLU cannot be run without the "/" shortcut here, so the message is not handled."""


@dataclass(frozen=True)
class Incoming:
    """A well-formed request body."""

    sender: str
    text: str
    input_channel: Optional[str]
    metadata: Optional[Dict[str, Any]]


def _leading_invisible(char: str) -> bool:
    """Whitespace, zero-width, format and control characters a person cannot see."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def looks_like_command(text: str) -> bool:
    """Whether Rasa could read this text as `/intent`.

    A superset of Rasa's own test (`str.strip()`, then "/"), so nothing that
    Rasa would unpack slips past as ordinary text.
    """
    for char in text:
        if not _leading_invisible(char):
            return char == INTENT_MESSAGE_PREFIX
    return False


def _valid_unicode(value: str) -> bool:
    """JSON can carry lone surrogates, which no database can store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_body(body: bytes) -> Incoming:
    """The request body, checked; `Refused` says what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise Refused(400, "the request body is empty; send a JSON object with sender and message")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object with sender and message")

    sender = data.get("sender")
    if sender is None:
        raise Refused(400, "sender is required")
    if not isinstance(sender, str):
        raise Refused(400, "sender must be a string")
    if not sender.strip():
        raise Refused(400, "sender must not be empty")
    if len(sender) > MAX_SENDER_CHARS:
        raise Refused(400, f"sender must be at most {MAX_SENDER_CHARS} characters")
    if not _valid_unicode(sender) or any(unicodedata.category(c) == "Cc" for c in sender):
        raise Refused(400, "sender must be printable text")

    text = data.get("message")
    if text is None:
        raise Refused(400, "message is required")
    if not isinstance(text, str):
        raise Refused(400, "message must be a string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Refused(413, f"message must be at most {MAX_MESSAGE_CHARS} characters")
    if not text.strip():
        raise Refused(400, "message must not be empty")
    if not _valid_unicode(text):
        raise Refused(400, "message must be valid Unicode text")

    input_channel = data.get("input_channel")
    if input_channel is not None and not isinstance(input_channel, str):
        raise Refused(400, "input_channel must be a string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise Refused(400, "metadata must be a JSON object")
    return Incoming(sender, text, input_channel or None, metadata)


def parse_as_words(processor: Any, message: UserMessage) -> Dict[str, Any]:
    """NLU's reading of the message's text, without the "/intent" shortcut.

    The processor's own `_parse_message_with_graph`, with the graph's target
    moved from the RegexMessageHandler to the node that feeds it.
    """
    if getattr(processor, "http_interpreter", None) is not None:
        raise CannotParseAsWords("NLU runs on a separate server, which would apply the shortcut")
    metadata = processor.model_metadata
    shortcut = metadata.predict_schema.nodes.get(metadata.nlu_target)
    if shortcut is None or not (
        isinstance(shortcut.uses, type) and issubclass(shortcut.uses, RegexMessageHandler)
    ):
        raise CannotParseAsWords("the model's NLU target is not Rasa's RegexMessageHandler")
    before = shortcut.needs["messages"]
    tracker = DialogueStateTracker.from_events(message.sender_id, [])
    results = processor.graph_runner.run(
        inputs={PLACEHOLDER_MESSAGE: [message], PLACEHOLDER_TRACKER: tracker},
        targets=[before],
    )
    parse_data: Dict[str, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        ENTITIES: [],
    }
    parse_data.update(results[before][0].as_dict(only_output_properties=True))
    # UserUttered lets parse data overwrite its text: keep it the person's, exactly.
    parse_data[TEXT] = message.text
    return parse_data


@functools.lru_cache(maxsize=1)
def _settings_token() -> str:
    """RASA_AUTH_TOKEN, read once. Without one set, no caller is trusted (fail closed)."""
    settings = load_settings()
    if settings.token_generated:
        logger.warning(
            "RASA_AUTH_TOKEN is not set: no caller of the REST channel may send intents"
        )
    return settings.rasa_auth_token


def _where(exc: BaseException) -> str:
    """Where an error happened, file:line, without its message (which may quote the person)."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))


def _error(status: int, error: str, reason: Optional[str] = None) -> HTTPResponse:
    body = {"error": error} if reason is None else {"error": error, "reason": reason}
    return response.json(body, status=status)


class TrustedRestInput(RestInput):
    """`POST /webhooks/rest/webhook`: a "/" message is an intent only from a caller with the token."""

    def __init__(self, token: Optional[str] = None, check_tracker_store: bool = False) -> None:
        self._token = token or None
        # Refuse to run without our tracker store (bot.rasa_hooks); on in `rasa run`.
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
        return cls(token=str(token) if token else _settings_token(), check_tracker_store=True)

    def token(self) -> str:
        return self._token or _settings_token()

    def is_trusted(self, request: Request) -> bool:
        """The request carries the token, as `?token=` or `Authorization: Bearer`."""
        expected = self.token().encode("utf-8")
        offered: List[str] = list(request.args.getlist("token") or [])
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            offered.append(value.strip())
        # compare_digest on bytes: on str it refuses non-ASCII, which a caller may send.
        return any(hmac.compare_digest(o.encode("utf-8", "replace"), expected) for o in offered)

    def user_message(
        self, request: Request, incoming: Incoming, collector: CollectingOutputChannel
    ) -> UserMessage:
        """The message for Rasa; an untrusted "/" text comes with NLU's own parse data."""
        message = UserMessage(
            incoming.text,
            collector,
            incoming.sender,
            input_channel=incoming.input_channel or self.name(),
            metadata=incoming.metadata,
        )
        if looks_like_command(incoming.text) and not self.is_trusted(request):
            message.parse_data = parse_as_words(self._processor(request), message)
        return message

    @staticmethod
    def _processor(request: Request) -> Any:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            raise CannotParseAsWords("no model is loaded")
        return agent.processor

    async def handle(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """One request: 400/413 for a bad one, Rasa's list of replies, or 503 if we fail."""
        if request.args.get("stream", "").lower() == "true":
            return _error(400, "stream is not supported; replies come as one JSON list")
        try:
            incoming = read_body(request.body or b"")
        except Refused as refused:
            return _error(refused.status, refused.error)
        collector = CollectingOutputChannel()
        try:
            await on_new_message(self.user_message(request, incoming, collector))
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

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """`GET /` for health and `POST /webhook`, under /webhooks/rest/."""
        hooks = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        if self._check_tracker_store:
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
