"""The REST channel over real HTTP, with a stand-in agent: no model, no action server.

Every request carries a credential (bot/channel_auth.py): `post` signs the body
with the web app's secret unless a test says `sign=False`.

The stand-in runs a real Rasa graph (the NLU message converter, a stand-in
classifier, Rasa's own RegexMessageHandler), so "NLU runs, the shortcut does
not" is checked against Rasa's code, not a mock of it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import logging
import socket
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.graph_components.converters.nlu_message_converter import NLUMessageConverter
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from sanic import Sanic
from sanic.compat import Header
from sanic.request import RequestParameters

from bot.channel_auth import SIGNATURE_HEADER, sign
from bot.rasa_server import channel as rest
from bot.rasa_server import incoming
from bot.rasa_server.channel import TrustedRestInput
from bot.rasa_server.errors import EXIT_MISCONFIGURED, ActionServerUnavailable, TrackerStoreUnavailable
from bot.rasa_server.hooks import wait_for_actions_as_set
from bot.rasa_server.incoming import (
    BAD_SIGNATURE,
    COULD_NOT_ANSWER,
    MAX_MESSAGE_CHARS,
    MAX_SENDER_CHARS,
    NO_CREDENTIAL,
    NOT_SAVED,
    WRONG_TOKEN,
    looks_like_command,
    parse_as_words,
)
from bot.rasa_server.tracker_store import refuse_unless_our_tracker_store
from bot.settings import PROJECT_ROOT

TOKEN = "s3cret-token"
SECRET = "web-channel-s3cret"  # WEB_CHANNEL_SECRET: the web app signs a person's words with it
NLU_INTENT = "free_text"  # what the stand-in classifier says of every text


class StandInClassifier(GraphComponent):
    """Stands in for DIET: every text gets one ordinary intent, as NLU would give."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: Any, resource: Any,
               execution_context: Any) -> "StandInClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = {"name": NLU_INTENT, "confidence": 0.42}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, {"name": "greet", "confidence": 0.3}],
                        add_to_output=True)
            message.set(ENTITIES, [], add_to_output=True)
        return messages


def _node(uses: Any, fn: str, needs: Dict[str, str]) -> SchemaNode:
    return SchemaNode(needs=needs, uses=uses, constructor_name="create", fn=fn, config={})


def build_processor(tmp_path: Path) -> SimpleNamespace:
    """What the channel uses of Rasa's MessageProcessor, with a real graph of DefaultV1Recipe's shape."""
    schema = GraphSchema({
        "nlu_message_converter": _node(NLUMessageConverter, "convert_user_message",
                                       {"messages": PLACEHOLDER_MESSAGE}),
        "run_StandIn": _node(StandInClassifier, "process", {"messages": "nlu_message_converter"}),
        "run_RegexMessageHandler": _node(RegexMessageHandler, "process", {"messages": "run_StandIn"}),
    })
    runner = DaskGraphRunner.create(schema, LocalModelStorage(tmp_path), ExecutionContext(schema), [])
    return SimpleNamespace(
        http_interpreter=None,
        graph_runner=runner,
        model_metadata=SimpleNamespace(predict_schema=schema, nlu_target="run_RegexMessageHandler"),
    )


def rasa_parse(processor: SimpleNamespace, text: str) -> Dict[str, Any]:
    """What Rasa's processor would make of the text (its graph up to the NLU target)."""
    message = UserMessage(text, sender_id="x")
    target = processor.model_metadata.nlu_target
    results = processor.graph_runner.run(
        inputs={PLACEHOLDER_MESSAGE: [message],
                PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("x", [])},
        targets=[target],
    )
    return results[target][0].as_dict(only_output_properties=True)


@dataclass
class StandInAgent:
    """Records each UserMessage Rasa would handle, and answers it."""

    processor: SimpleNamespace
    ready: bool = True
    fail_with: Optional[Exception] = None
    seen: List[UserMessage] = field(default_factory=list)

    def is_ready(self) -> bool:
        return self.ready

    async def handle_message(self, message: UserMessage) -> None:
        self.seen.append(message)
        if self.fail_with is not None:
            raise self.fail_with
        await message.output_channel.send_text_message(message.sender_id, "Thank you.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A Sanic app with the channel registered the way `rasa run` does it, in a thread.

    Several run in one test session (tests/test_actions_server.py starts more), so
    Sanic is in its test mode, as sanic-testing puts it: TouchUp, which rewrites
    Sanic's own methods at each start, then works from the originals every time
    (a second start otherwise fails, `sanic/touchup/service.py`), and an app name
    may come again.
    """

    def __init__(self, app: Sanic, agent: Optional[StandInAgent]) -> None:
        Sanic.test_mode = True
        self.app = app
        self.agent = agent
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self._server: Any = None

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    def start(self) -> None:
        ready = threading.Event()

        async def serve() -> None:
            self._server = await self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True
            )
            await self._server.startup()
            await self._server.before_start()
            await self._server.after_start()
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        assert ready.wait(30), "the test server did not start"

    def stop(self) -> None:
        async def close() -> None:
            await self._server.before_stop()
            await self._server.close()
            await self._server.after_stop()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    agent = StandInAgent(build_processor(tmp_path_factory.mktemp("graph")))
    app = Sanic(f"channel_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.ctx.agent = agent
    register([TrustedRestInput(token=TOKEN, secret=SECRET)], app, route="/webhooks/")
    running = Server(app, agent)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def agent(server: Server) -> Iterator[StandInAgent]:
    """The server's agent, reset for each test."""
    server.agent.seen.clear()
    yield server.agent
    server.agent.ready = True
    server.agent.fail_with = None
    server.agent.processor.http_interpreter = None


def post(server: Server, body: Any = None, *, raw: Optional[bytes] = None,
         params: Optional[Dict[str, str]] = None,
         headers: Optional[Dict[str, str]] = None, sign_with: Optional[str] = SECRET) -> requests.Response:
    """POST these bytes, signed as the web app does (`sign_with=None`: unsigned)."""
    data = raw if raw is not None else json.dumps(body).encode("utf-8")
    signature = {SIGNATURE_HEADER: sign(data, sign_with)} if sign_with else {}
    return requests.post(server.webhook, data=data, params=params, timeout=30,
                         headers={"Content-Type": "application/json", **signature, **(headers or {})})


def say(server: Server, text: str, **kwargs: Any) -> requests.Response:
    return post(server, {"sender": "person-1", "message": text}, **kwargs)


# Good requests: Rasa's format, Rasa's URL ----------------------------------------------------

def test_health_answers_on_rasas_url(server: Server) -> None:
    got = requests.get(f"http://127.0.0.1:{server.port}/webhooks/rest/", timeout=30)
    assert got.status_code == 200 and got.json() == {"status": "ok"}


def test_a_good_message_gets_rasas_list_of_replies(server: Server, agent: StandInAgent) -> None:
    got = post(server, {"sender": "person-1", "message": "  I want him to leave  ",
                        "metadata": {"page": "chat"}})
    assert got.status_code == 200
    assert got.json() == [{"recipient_id": "person-1", "text": "Thank you."}]
    [message] = agent.seen
    assert (message.text, message.sender_id, message.input_channel) == (
        "I want him to leave", "person-1", "rest")
    assert message.metadata == {"page": "chat"}
    assert message.parse_data is None  # ordinary text: Rasa's own path, untouched


def test_the_channel_keeps_rests_name() -> None:
    assert TrustedRestInput.name() == "rest"
    assert TrustedRestInput(token=TOKEN).url_prefix() == "rest"


def test_credentials_yml_loads_this_channel() -> None:
    from rasa.core.run import create_http_input_channels

    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    assert [type(c) for c in channels] == [TrustedRestInput]
    assert channels[0].name() == "rest"


def test_the_token_comes_from_credentials_or_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert TrustedRestInput.from_credentials({"token": "from-yaml"}).token() == "from-yaml"
    monkeypatch.setenv("RASA_AUTH_TOKEN", "from-env")
    rest._settings_token.cache_clear()
    try:
        assert TrustedRestInput.from_credentials(None).token() == "from-env"
        monkeypatch.setenv("RASA_AUTH_TOKEN", "changed")
        assert TrustedRestInput.from_credentials({}).token() == "from-env"  # read once
    finally:
        rest._settings_token.cache_clear()


# Bad requests: 400 or 413 with a JSON error, and nothing reaches Rasa -------------------------

BAD_BODIES = [
    pytest.param(b"", 400, "the request body is empty; send a JSON object with sender and message", id="empty"),
    pytest.param(b"   \n", 400, "the request body is empty; send a JSON object with sender and message", id="blank"),
    pytest.param(b"sender=a&message=hi", 400, "the request body is not valid JSON", id="form"),
    pytest.param(b'{"sender": "a", "message": "hi"', 400, "the request body is not valid JSON", id="cut-off"),
    pytest.param(b'{"sender": "a", "message": "\xff\xfe"}', 400, "the request body is not valid JSON", id="not-utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, "the request body is not valid JSON", id="deep"),
    pytest.param(b'["a", "hi"]', 400, "the request body must be a JSON object with sender and message", id="list"),
    pytest.param(b'"hi"', 400, "the request body must be a JSON object with sender and message", id="string"),
    pytest.param(b"null", 400, "the request body must be a JSON object with sender and message", id="null"),
    pytest.param(b"42", 400, "the request body must be a JSON object with sender and message", id="number"),
    pytest.param(b'{"message": "hi"}', 400, "sender is required", id="no-sender"),
    pytest.param(b'{"sender": null, "message": "hi"}', 400, "sender is required", id="null-sender"),
    pytest.param(b'{"sender": 7, "message": "hi"}', 400, "sender must be a string", id="number-sender"),
    pytest.param(b'{"sender": ["a"], "message": "hi"}', 400, "sender must be a string", id="list-sender"),
    pytest.param(b'{"sender": "", "message": "hi"}', 400, "sender must not be empty", id="empty-sender"),
    pytest.param(b'{"sender": "  ", "message": "hi"}', 400, "sender must not be empty", id="blank-sender"),
    pytest.param(json.dumps({"sender": "a" * (MAX_SENDER_CHARS + 1), "message": "hi"}).encode(), 400,
                 f"sender must be at most {MAX_SENDER_CHARS} characters", id="long-sender"),
    pytest.param(b'{"sender": "a\\u0000b", "message": "hi"}', 400, "sender must be printable text", id="nul-sender"),
    pytest.param(b'{"sender": "a\\nb", "message": "hi"}', 400, "sender must be printable text", id="newline-sender"),
    pytest.param(b'{"sender": "\\ud800", "message": "hi"}', 400, "sender must be printable text", id="surrogate-sender"),
    pytest.param(b'{"sender": "a"}', 400, "message is required", id="no-message"),
    pytest.param(b'{"sender": "a", "message": null}', 400, "message is required", id="null-message"),
    pytest.param(b'{"sender": "a", "message": 3}', 400, "message must be a string", id="number-message"),
    pytest.param(b'{"sender": "a", "message": true}', 400, "message must be a string", id="bool-message"),
    pytest.param(b'{"sender": "a", "message": {"text": "hi"}}', 400, "message must be a string", id="object-message"),
    pytest.param(b'{"sender": "a", "message": ""}', 400, "message must not be empty", id="empty-message"),
    pytest.param(b'{"sender": "a", "message": " \\n\\t "}', 400, "message must not be empty", id="blank-message"),
    pytest.param(b'{"sender": "a", "message": "hi \\udc00"}', 400, "message must be valid Unicode text", id="surrogate-message"),
    pytest.param(b'{"sender": "a", "message": "hi", "metadata": "x"}', 400, "metadata must be a JSON object", id="bad-metadata"),
    pytest.param(b'{"sender": "a", "message": "hi", "input_channel": 1}', 400, "input_channel must be a string", id="bad-channel"),
    pytest.param(json.dumps({"sender": "a", "message": "x" * (MAX_MESSAGE_CHARS + 1)}).encode(), 413,
                 f"message must be at most {MAX_MESSAGE_CHARS} characters", id="long-message"),
    pytest.param(json.dumps({"sender": "a", "message": "hi", "metadata": {"pad": "x" * 1_000_001}}).encode(), 413,
                 f"the request body must be at most {incoming.MAX_BODY_BYTES} bytes", id="huge-body"),
]


@pytest.mark.parametrize("raw, status, error", BAD_BODIES)
def test_a_bad_body_gets_a_json_error_and_reaches_no_one(
    server: Server, agent: StandInAgent, raw: bytes, status: int, error: str
) -> None:
    got = post(server, raw=raw)
    assert got.status_code == status
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json() == {"error": error}
    assert agent.seen == []


def test_a_bad_body_without_a_content_type_is_still_a_400(server: Server) -> None:
    got = requests.post(server.webhook, data=b"hello", timeout=30,
                        headers={SIGNATURE_HEADER: sign(b"hello", SECRET)})
    assert got.status_code == 400 and got.json() == {"error": "the request body is not valid JSON"}


def test_the_longest_message_and_sender_are_taken(server: Server, agent: StandInAgent) -> None:
    longest = "help " * (MAX_MESSAGE_CHARS // 5)
    got = post(server, {"sender": "s" * MAX_SENDER_CHARS, "message": longest})
    assert got.status_code == 200
    assert agent.seen[0].text == longest.strip()


def test_a_streamed_reply_is_refused_clearly(server: Server, agent: StandInAgent) -> None:
    got = say(server, "hello", params={"stream": "true"})
    assert got.status_code == 400 and "stream" in got.json()["error"]
    assert agent.seen == []


# Who may send an intent ------------------------------------------------------------------------

@pytest.mark.parametrize("how", [
    {"params": {"token": TOKEN}},
    {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    {"headers": {"Authorization": f"bearer {TOKEN}"}},
])
def test_the_token_makes_a_slash_message_an_intent(server: Server, agent: StandInAgent,
                                                   how: Dict[str, Any]) -> None:
    text = '/start{"stage": "review", "enquiry_ref": "NR-1"}'
    assert say(server, text, sign_with=None, **how).status_code == 200
    [message] = agent.seen
    assert message.text == text
    assert message.parse_data is None  # Rasa's own path: its RegexMessageHandler reads the intent
    assert rasa_parse(agent.processor, text)[INTENT]["name"] == "start"


def test_a_signed_slash_message_is_words(server: Server, agent: StandInAgent) -> None:
    """The web app's signature vouches for the body, never makes its text a command."""
    text = '/start{"stage": "review", "enquiry_ref": "NR-1"}'
    assert say(server, text).status_code == 200
    [message] = agent.seen
    assert message.text == text
    assert message.parse_data is not None
    assert message.parse_data[INTENT]["name"] == NLU_INTENT and message.parse_data[ENTITIES] == []


def test_a_signed_request_keeps_the_metadata_the_web_app_built(server: Server, agent: StandInAgent) -> None:
    got = post(server, {"sender": "person-1", "message": "Yes", "metadata": {"press": "/affirm"}})
    assert got.status_code == 200
    [message] = agent.seen
    assert (message.text, message.metadata, message.parse_data) == ("Yes", {"press": "/affirm"}, None)


# Who may post at all: the token or the web app's signature, else 401 ---------------------------

def _refused(got: requests.Response, error: str) -> None:
    assert got.status_code == 401
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["WWW-Authenticate"].startswith("Bearer")
    assert got.json() == {"error": error}


@pytest.mark.parametrize("text", ["hello", "/restart", '/start{"enquiry_ref": "NR-2026-0042"}'])
def test_without_a_credential_nothing_is_taken(server: Server, agent: StandInAgent, text: str) -> None:
    """Knowing a conversation id is not enough to post into it."""
    _refused(say(server, text, sign_with=None), NO_CREDENTIAL)
    assert agent.seen == []


@pytest.mark.parametrize("how", [
    {"headers": {"Authorization": f"Basic {TOKEN}"}},
    {"headers": {"Authorization": TOKEN}},
    {"headers": {"X-Token": TOKEN}},
    {"headers": {"Authorization": "Bearer "}},
    {"params": {"token": ""}},  # Sanic drops a blank query value: no token offered
])
def test_a_token_not_sent_as_the_channel_reads_it_is_no_credential(
        server: Server, agent: StandInAgent, how: Dict[str, Any]) -> None:
    _refused(say(server, "/restart", sign_with=None, **how), NO_CREDENTIAL)
    assert agent.seen == []


@pytest.mark.parametrize("how", [
    {"params": {"token": "wrong"}},
    {"params": {"token": TOKEN + "x"}},
    {"params": {"token": "tøken-ünicode"}},
    {"headers": {"Authorization": "Bearer wrong"}},
    {"headers": {"Authorization": f"Bearer {TOKEN}"}, "params": {"token": "wrong"}},
])
def test_a_wrong_token_is_refused(server: Server, agent: StandInAgent, how: Dict[str, Any]) -> None:
    _refused(say(server, "/restart", sign_with=None, **how), WRONG_TOKEN)
    _refused(say(server, "hello", **how), WRONG_TOKEN)  # signed, but a wrong token is never ignored
    assert agent.seen == []


BODY = json.dumps({"sender": "person-1", "message": "hello"}).encode("utf-8")


@pytest.mark.parametrize("signature", [
    sign(BODY, "another-secret"),
    sign(BODY + b" ", SECRET),  # the signature of another body
    sign(json.dumps({"sender": "person-2", "message": "hello"}).encode(), SECRET),
    sign(BODY, SECRET)[len("sha256="):],  # no scheme
    "sha1=" + sign(BODY, SECRET)[len("sha256="):],
    sign(BODY, SECRET)[:-1],
    "",
    "sha256=",
    "sha256=ünicode",
])
def test_a_bad_signature_is_refused(server: Server, agent: StandInAgent, signature: str) -> None:
    got = post(server, raw=BODY, sign_with=None, headers={SIGNATURE_HEADER: signature})
    _refused(got, BAD_SIGNATURE)
    assert agent.seen == []


def test_a_good_signature_in_capitals_is_taken(server: Server, agent: StandInAgent) -> None:
    got = post(server, raw=BODY, sign_with=None, headers={SIGNATURE_HEADER: sign(BODY, SECRET).upper()})
    assert got.status_code == 200 and [m.text for m in agent.seen] == ["hello"]


def test_two_signatures_are_refused(server: Server, agent: StandInAgent) -> None:
    good = sign(BODY, SECRET)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("POST", "/webhooks/rest/webhook")
        for header, value in (("Content-Type", "application/json"), ("Content-Length", str(len(BODY))),
                              (SIGNATURE_HEADER, good), (SIGNATURE_HEADER, good)):
            connection.putheader(header, value)
        connection.endheaders(BODY)
        got = connection.getresponse()
        assert got.status == 401
        assert json.loads(got.read()) == {"error": BAD_SIGNATURE}
    finally:
        connection.close()
    assert agent.seen == []


def test_a_bad_signature_is_refused_even_beside_the_right_token(server: Server, agent: StandInAgent) -> None:
    got = post(server, raw=BODY, sign_with=None, params={"token": TOKEN},
               headers={SIGNATURE_HEADER: sign(BODY, "another-secret")})
    _refused(got, BAD_SIGNATURE)
    assert agent.seen == []


@pytest.mark.parametrize("raw, credential, status", [
    # 413 for a body too big comes first, credential or not ...
    pytest.param(b"x" * (incoming.MAX_BODY_BYTES + 1), None, 413, id="huge-unsigned"),
    pytest.param(b"x" * (incoming.MAX_BODY_BYTES + 1), "bad", 413, id="huge-bad-signature"),
    # ... then 401 without a right credential, before the body is read ...
    pytest.param(b"not json", None, 401, id="bad-body-unsigned"),
    pytest.param(b"not json", "bad", 401, id="bad-body-bad-signature"),
    pytest.param(b'{"sender": "a"}', None, 401, id="no-message-unsigned"),
    # ... then 400 for a bad body.
    pytest.param(b"not json", "signed", 400, id="bad-body-signed"),
    pytest.param(b"not json", "token", 400, id="bad-body-token"),
])
def test_the_order_of_the_checks_is_413_then_401_then_400(
        server: Server, agent: StandInAgent, raw: bytes, credential: Optional[str], status: int) -> None:
    headers = {SIGNATURE_HEADER: sign(raw, "another-secret")} if credential == "bad" else None
    got = post(server, raw=raw, headers=headers, sign_with=SECRET if credential == "signed" else None,
               params={"token": TOKEN} if credential == "token" else None)
    assert got.status_code == status
    assert "error" in got.json()
    assert agent.seen == []


def test_a_stream_request_without_a_credential_is_a_401(server: Server, agent: StandInAgent) -> None:
    _refused(say(server, "hello", sign_with=None, params={"stream": "true"}), NO_CREDENTIAL)


def test_the_health_check_needs_no_credential(server: Server) -> None:
    got = requests.get(f"http://127.0.0.1:{server.port}/webhooks/rest/", timeout=30)
    assert got.status_code == 200


def test_without_a_secret_no_signature_is_taken(server: Server, agent: StandInAgent,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: an HMAC keyed with "" would be anyone's to compute."""
    channel = TrustedRestInput(token=TOKEN)
    monkeypatch.setattr(rest, "_settings_secret", lambda: "")
    request = SimpleNamespace(headers=Header({SIGNATURE_HEADER: sign(BODY, "x")}), args=RequestParameters())
    with pytest.raises(rest.Refused) as refused:
        channel.credential(request, BODY)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.error) == (401, BAD_SIGNATURE)
    assert not rest.signature_matches(BODY, "", "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest())


def test_rasa_run_refuses_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(rest, "_settings_secret", lambda: "")
    channel = TrustedRestInput.from_credentials({"token": "t"})
    with caplog.at_level(logging.CRITICAL), pytest.raises(SystemExit) as stopped:
        asyncio.run(channel.refuse_without_a_secret(None, None))
    assert stopped.value.code == EXIT_MISCONFIGURED
    assert "WEB_CHANNEL_SECRET is not set" in caplog.text
    asyncio.run(TrustedRestInput(token="t", secret="s").refuse_without_a_secret(None, None))  # starts


def test_the_secret_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CHANNEL_SECRET", "from-env")
    rest._settings_secret.cache_clear()
    try:
        assert TrustedRestInput.from_credentials(None).secret() == "from-env"
        assert TrustedRestInput(token="t", secret="given").secret() == "given"
    finally:
        rest._settings_secret.cache_clear()


UNTRUSTED_COMMANDS = [
    "/restart",
    "/stop",
    "/start",
    '/start{"stage": "review", "enquiry_ref": "NR-2026-0042"}',
    '/start{"stage":"review","enquiry_ref":"NR-2026-0042","role":"advocate"}',
    "/start@1.0{\"enquiry_ref\": \"NR-1\"}",
    "  /restart",
    "\t/restart\n",
    "\u00a0/restart",   # no-break space: Python's strip() takes it, so Rasa would too
    "\u3000/restart",   # ideographic space
    "\u2028/restart",   # line separator
    "\u200b/restart",   # zero-width space
    "\ufeff/restart",   # byte order mark
    "\u200d\u2060/restart",
    "\x00/restart",
]


@pytest.mark.parametrize("text", UNTRUSTED_COMMANDS)
def test_a_persons_slash_text_reaches_rasa_as_their_words(server: Server, agent: StandInAgent,
                                                          text: str) -> None:
    got = say(server, text)
    assert got.status_code == 200 and got.json()[0]["text"] == "Thank you."
    [message] = agent.seen
    # Exactly what they typed (Rasa's UserMessage trims whitespace at the ends, as for everyone).
    assert message.text == text.strip()
    # NLU ran on it, and the shortcut did not: no intent or entities read from the text.
    parse = message.parse_data
    assert parse is not None
    assert parse["text"] == message.text
    assert parse[INTENT] == {"name": NLU_INTENT, "confidence": 0.42}
    assert [i["name"] for i in parse[INTENT_RANKING_KEY]] == [NLU_INTENT, "greet"]
    assert parse[ENTITIES] == []


@pytest.mark.parametrize("text", ["/restart", '/start{"stage": "review", "enquiry_ref": "NR-1"}'])
def test_rasa_alone_would_have_obeyed_the_text(tmp_path: Path, text: str) -> None:
    """The contrast: Rasa's graph, target and all, turns the same text into a command."""
    processor = build_processor(tmp_path)
    assert rasa_parse(processor, text)[INTENT]["name"] in ("restart", "start")
    words = parse_as_words(processor, UserMessage(text, sender_id="x"))
    assert words[INTENT]["name"] == NLU_INTENT and words[ENTITIES] == []
    assert words["text"] == text


@pytest.mark.parametrize("text, expected", [
    ("/restart", True), ("   /x", True), ("\u200b\u200c/x", True), ("\u2003/x", True),
    ("\x00\x1f/x", True), ("hello /restart", False), ("", False), ("\u200b", False),
    ("\uff0frestart", False), ("restart/", False),
])
def test_what_counts_as_a_slash_message(text: str, expected: bool) -> None:
    assert looks_like_command(text) is expected


def test_every_text_rasa_would_unpack_counts_as_a_slash_message() -> None:
    """Rasa strips with str.strip(); ours must take at least every character that does."""
    for code in range(0x3000 + 1):
        char = chr(code)
        if char.isspace():
            assert looks_like_command(char + "/restart"), hex(code)


def test_ordinary_text_with_either_credential_takes_rasas_own_path(server: Server, agent: StandInAgent) -> None:
    say(server, "hello /restart")
    say(server, "hello", params={"token": TOKEN}, sign_with=None)
    assert [m.parse_data for m in agent.seen] == [None, None]


# Failures on our side: 503, and never the person's words in the log ----------------------------

SECRET_WORDS = "he hits me when nobody is home"


def test_a_failure_inside_rasa_is_a_503_and_the_words_are_not_logged(
    server: Server, agent: StandInAgent, caplog: pytest.LogCaptureFixture
) -> None:
    agent.fail_with = ValueError(f"could not store {SECRET_WORDS!r}")
    with caplog.at_level(logging.DEBUG):
        got = say(server, SECRET_WORDS)
    assert got.status_code == 503 and got.json() == {"error": COULD_NOT_ANSWER}
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "ValueError" in logged and "person-1" in logged
    assert "nobody is home" not in logged


@pytest.mark.parametrize("failure", [
    TrackerStoreUnavailable("could not save the conversation (OperationalError: database is locked)"),
    ActionServerUnavailable("validate_outcomes_form", ConnectionRefusedError()),
])
def test_nothing_saved_is_a_503_that_says_so(
    server: Server, agent: StandInAgent, caplog: pytest.LogCaptureFixture, failure: Exception
) -> None:
    """The web app then asks the person to send it again (nothing of it was stored)."""
    agent.fail_with = failure
    with caplog.at_level(logging.DEBUG):
        got = say(server, SECRET_WORDS)
    assert got.status_code == 503
    assert got.json() == {"error": COULD_NOT_ANSWER, "reason": NOT_SAVED}
    assert type(failure).__name__ in caplog.text and str(failure) in caplog.text
    assert "nobody is home" not in caplog.text


def test_rasa_run_gets_the_start_check_and_tests_may_leave_it_out() -> None:
    """`rasa run` builds the channel with `from_credentials`; the listener then refuses a wrong store."""

    async def handler(message: UserMessage) -> None:
        """Never called."""

    def listeners(channel: TrustedRestInput) -> List[Any]:
        return [f.listener for f in channel.blueprint(handler)._future_listeners]

    from_rasa_run = TrustedRestInput.from_credentials({"token": "t"})
    assert refuse_unless_our_tracker_store in listeners(from_rasa_run)
    assert refuse_unless_our_tracker_store not in listeners(TrustedRestInput(token="t"))
    assert wait_for_actions_as_set in listeners(from_rasa_run)
    assert from_rasa_run.refuse_without_a_secret in listeners(from_rasa_run)
    assert len(listeners(TrustedRestInput(token="t"))) == 0


def test_no_model_loaded_is_a_503_for_a_slash_message(server: Server, agent: StandInAgent) -> None:
    agent.ready = False
    got = say(server, "/restart")
    assert got.status_code == 503 and got.json() == {"error": COULD_NOT_ANSWER}
    assert agent.seen == []


def test_with_an_nlu_server_it_refuses_rather_than_obey(server: Server, agent: StandInAgent) -> None:
    agent.processor.http_interpreter = object()  # NLU elsewhere would apply the shortcut
    got = say(server, "/restart")
    assert got.status_code == 503
    assert agent.seen == []


def test_a_graph_without_rasas_shortcut_node_is_refused(tmp_path: Path) -> None:
    processor = build_processor(tmp_path)
    processor.model_metadata.nlu_target = "run_StandIn"
    with pytest.raises(rest.CannotParseAsWords):
        parse_as_words(processor, UserMessage("/restart", sender_id="x"))


# The trusted callers: the token with commands only, everything else signed ----------------------

class _Recorder:
    """Stands in for requests.post: remembers each call, answers with one reply (and its buttons)."""

    def __init__(self, buttons: Optional[List[Dict[str, str]]] = None) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.buttons = buttons or []

    def __call__(self, url: str, **kwargs: Any) -> Any:
        self.calls.append({"url": url, **kwargs})
        return SimpleNamespace(status_code=200, raise_for_status=lambda: None,
                               json=lambda: [{"recipient_id": "s", "text": "Hello.", "buttons": self.buttons}])


def sent(call: Dict[str, Any]) -> Dict[str, Any]:
    """What one recorded call carried: the body, and its credential (checked as the channel does)."""
    body = json.loads(call["data"]) if "data" in call else call["json"]
    if call.get("params"):
        assert SIGNATURE_HEADER not in (call.get("headers") or {})
        return {**body, "by": "token" if call["params"] == {"token": TOKEN} else call["params"]}
    # Signed: the bytes sent are the bytes signed.
    assert "json" not in call and call["headers"][SIGNATURE_HEADER] == sign(call["data"], SECRET)
    return {**body, "by": "signed"}


def _typing(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    typed = iter(lines)

    def person(_prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", person)


def test_msp_chat_sends_the_token_with_its_opening_and_signs_what_is_typed(
        monkeypatch: pytest.MonkeyPatch) -> None:

    import bot.cli.chat
    from bot.settings import load_settings

    recorder = _Recorder()
    monkeypatch.setattr(bot.cli.chat.requests, "post", recorder)
    _typing(monkeypatch, "/restart", '/start{"enquiry_ref": "NR-9"}', "I want him to leave")
    settings = load_settings().copy(update={"rasa_auth_token": TOKEN, "token_generated": False, "web_channel_secret": SECRET})
    assert bot.cli.chat.run_chat(settings, "chat-1", '/start{"stage": "outcomes"}') == 0
    assert [sent(c) for c in recorder.calls] == [
        {"sender": "chat-1", "message": '/start{"stage": "outcomes"}', "by": "token"},
        {"sender": "chat-1", "message": "/restart", "by": "signed"},
        {"sender": "chat-1", "message": '/start{"enquiry_ref": "NR-9"}', "by": "signed"},
        {"sender": "chat-1", "message": "I want him to leave", "by": "signed"},
    ]


def test_msp_chat_sends_a_button_number_as_its_title_and_a_press(monkeypatch: pytest.MonkeyPatch) -> None:

    import bot.cli.chat
    from bot.settings import load_settings

    recorder = _Recorder(buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}])
    monkeypatch.setattr(bot.cli.chat.requests, "post", recorder)
    _typing(monkeypatch, "2", "7")
    settings = load_settings().copy(update={"rasa_auth_token": TOKEN, "token_generated": False, "web_channel_secret": SECRET})
    bot.cli.chat.run_chat(settings, "chat-3", '/start{"stage": "outcomes"}')
    assert [sent(c) for c in recorder.calls][1:] == [
        {"sender": "chat-3", "message": "No", "metadata": {"press": "/deny"}, "by": "token"},
        {"sender": "chat-3", "message": "7", "by": "signed"},  # no such button: typed words
    ]


def test_msp_chat_without_the_servers_token_opens_with_a_signed_hello(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture) -> None:

    import bot.cli.chat
    from bot.settings import load_settings

    recorder = _Recorder()
    monkeypatch.setattr(bot.cli.chat.requests, "post", recorder)
    _typing(monkeypatch)
    settings = load_settings().copy(update={"rasa_auth_token": "made-up", "token_generated": True, "web_channel_secret": SECRET})
    bot.cli.chat.run_chat(settings, "chat-2", '/start{"stage": "review"}')
    assert [sent(c) for c in recorder.calls] == [{"sender": "chat-2", "message": "hello", "by": "signed"}]
    assert "RASA_AUTH_TOKEN is not set" in capsys.readouterr().err


def test_msp_chat_without_the_secret_says_so_and_sends_nothing(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture) -> None:

    import bot.cli.chat
    from bot.settings import load_settings

    recorder = _Recorder()
    monkeypatch.setattr(bot.cli.chat.requests, "post", recorder)
    settings = load_settings().copy(update={"rasa_auth_token": TOKEN, "token_generated": False, "web_channel_secret": ""})
    assert bot.cli.chat.run_chat(settings, "chat-4", '/start{"stage": "review"}') == 1
    assert recorder.calls == []
    assert "WEB_CHANNEL_SECRET is not set" in capsys.readouterr().err


def test_the_test_driver_sends_the_token_with_slash_messages_and_signs_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conversations import driver

    recorder = _Recorder()
    monkeypatch.setattr(driver.requests, "post", recorder)
    chat = driver.Conversation("http://rasa", TOKEN, "e2e-1", secret=SECRET)
    chat.say('/start{"stage": "outcomes"}')
    chat.say("I want him to leave")
    chat.say("/restart", trusted=False)
    assert [sent(c)["by"] for c in recorder.calls] == ["token", "signed", "signed"]
    assert [sent(c)["message"] for c in recorder.calls] == [
        '/start{"stage": "outcomes"}', "I want him to leave", "/restart"]


def test_the_web_app_signs_words_and_sends_commands_with_the_token() -> None:
    from bot.web.rasa_client import RasaClient, RasaUnavailable

    recorder = _Recorder()
    client = RasaClient(["http://rasa"], TOKEN, secret=SECRET, session=SimpleNamespace(post=recorder))  # type: ignore[arg-type]
    client.send("web-1", '/start{"stage": "outcomes"}', trusted=True)
    client.send("web-1", "/restart")
    client.send("web-1", "Yes", metadata={"press": "/affirm", "visit": "v1"})
    assert [sent(c) for c in recorder.calls] == [
        {"sender": "web-1", "message": '/start{"stage": "outcomes"}', "by": "token"},
        {"sender": "web-1", "message": "/restart", "by": "signed"},
        {"sender": "web-1", "message": "Yes", "metadata": {"press": "/affirm", "visit": "v1"}, "by": "signed"},
    ]
    unsigned = RasaClient(["http://rasa"], TOKEN, session=SimpleNamespace(post=recorder))  # type: ignore[arg-type]
    with pytest.raises(RasaUnavailable):
        unsigned.send("web-1", "hello")  # never posted unsigned: Rasa would refuse it
    assert len(recorder.calls) == 3
