"""What the channel accepts before Rasa sees it: the size and shape of a request, its words, and
words kept as words (a person's "/" text is never a command). bot/rasa_server/channel.py uses it."""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
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

from bot.channel_auth import SIGNATURE_HEADER
from bot.rasa_server.errors import ActionServerUnavailable, TrackerStoreUnavailable

logger = logging.getLogger(__name__)


MAX_SENDER_CHARS = 255
# The web page stops people at 2,000; this is the channel's own limit.
MAX_MESSAGE_CHARS = 20_000
# Room for a longest message written as \uXXXX escapes, plus metadata.
MAX_BODY_BYTES = 1_000_000

COULD_NOT_ANSWER = "the assistant could not answer; please try again"
# 401s: the request is refused before its body is read.
NO_CREDENTIAL = (
    "this webhook takes a request only with RASA_AUTH_TOKEN (?token= or Authorization: Bearer) "
    f"or the web app's {SIGNATURE_HEADER} header"
)
BAD_SIGNATURE = f"the {SIGNATURE_HEADER} header does not match the request body"
WRONG_TOKEN = "the token is not right"
# Which credential a request carried: the token (commands allowed), or the signature (words only).
BY_TOKEN = "token"
BY_SIGNATURE = "signature"
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


def check_size(body: bytes) -> None:
    """413 for a body too big to read, before anything else is looked at."""
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"the request body must be at most {MAX_BODY_BYTES} bytes")


def _required_text(data: Dict[str, Any], name: str) -> str:
    """A field that must be there and be a string (the caller checks the rest)."""
    value = data.get(name)
    if value is None:
        raise Refused(400, f"{name} is required")
    if not isinstance(value, str):
        raise Refused(400, f"{name} must be a string")
    return value


def _optional(data: Dict[str, Any], name: str, kind: type, what: str) -> Any:
    """A field that may be missing or null, and otherwise must be of `kind`."""
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise Refused(400, f"{name} must be {what}")
    return value


def read_body(body: bytes) -> Incoming:
    """The request body, checked; `Refused` says what is wrong with it."""
    check_size(body)
    if not body.strip():
        raise Refused(400, "the request body is empty; send a JSON object with sender and message")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object with sender and message")

    sender = _required_text(data, "sender")
    if not sender.strip():
        raise Refused(400, "sender must not be empty")
    if len(sender) > MAX_SENDER_CHARS:
        raise Refused(400, f"sender must be at most {MAX_SENDER_CHARS} characters")
    if not _valid_unicode(sender) or any(unicodedata.category(c) == "Cc" for c in sender):
        raise Refused(400, "sender must be printable text")

    text = _required_text(data, "message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise Refused(413, f"message must be at most {MAX_MESSAGE_CHARS} characters")
    if not text.strip():
        raise Refused(400, "message must not be empty")
    if not _valid_unicode(text):
        raise Refused(400, "message must be valid Unicode text")

    input_channel = _optional(data, "input_channel", str, "a string")
    metadata = _optional(data, "metadata", dict, "a JSON object")
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
