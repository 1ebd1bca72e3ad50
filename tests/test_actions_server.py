"""The action server over real HTTP: it answers only Rasa's bearer token, and never echoes a request.

The app is `bot.actions_server.create_app` (rasa_sdk's own, with our checks)
with stand-in actions, so no database or language rules are needed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic

from bot import actions_server
from bot.actions_server import FAILED, NO_TOKEN, NOT_CONFIGURED, WRONG_TOKEN, create_app
from bot.runner import Services, action_endpoint, part_command, write_endpoints
from bot.settings import load_settings
from tests.rasa_server.test_channel import Server

TOKEN = "actions-t0ken"
SECRET_WORDS = "he hits me when nobody is home"
CALLS: List[str] = []  # the sender ids the stand-in action was run for


class StandInHumanContact(Action):
    """Stands in for action_human_contact: a call that gets through is remembered."""

    def name(self) -> str:
        return "action_test_human_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        CALLS.append(tracker.sender_id)
        return [SlotSet("alerted", True)]


class Explodes(Action):
    """An action that fails, with the person's words in its error (as a real one could)."""

    def name(self) -> str:
        return "action_test_explodes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        raise ValueError(f"could not read {tracker.latest_message.get('text')!r}")


def _app(token: Optional[str]) -> Sanic:
    Sanic.test_mode = True  # rasa_sdk names every app "rasa_sdk"; see tests/rasa_server/test_channel.py Server
    return create_app(sys.modules[__name__], token)  # type: ignore[arg-type]


def _serve(app: Sanic) -> Iterator[str]:
    running = Server(app, None)
    running.start()
    yield f"http://127.0.0.1:{running.port}"
    running.stop()


@pytest.fixture(scope="module")
def actions() -> Iterator[str]:
    yield from _serve(_app(TOKEN))


@pytest.fixture(scope="module")
def unconfigured() -> Iterator[str]:
    yield from _serve(_app(None))


def call(action: str, sender: str = "made-up-conversation", text: str = "hello") -> Dict[str, Any]:
    """What Rasa posts to /webhook to run one action."""
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": text, "intent": {}},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": None},
    }


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(got: requests.Response, error: str) -> None:
    assert got.status_code == 401
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json() == {"error": error}


# Who may call -----------------------------------------------------------------------------------

def test_the_right_token_runs_the_action(actions: str) -> None:
    CALLS.clear()
    got = requests.post(f"{actions}/webhook", json=call("action_test_human_contact", "conv-1"),
                        headers=bearer(TOKEN), timeout=30)
    assert got.status_code == 200
    assert got.json()["events"] == [{"event": "slot", "timestamp": None, "name": "alerted", "value": True}]
    assert CALLS == ["conv-1"]


@pytest.mark.parametrize("headers, params, error", [
    ({}, None, NO_TOKEN),
    ({"Authorization": TOKEN}, None, NO_TOKEN),
    ({"Authorization": f"Basic {TOKEN}"}, None, NO_TOKEN),
    ({"Authorization": "Bearer "}, None, NO_TOKEN),
    ({}, {"token": TOKEN}, NO_TOKEN),  # Rasa's `token:` query parameter is not what this server reads
    (bearer("wrong"), None, WRONG_TOKEN),
    (bearer(TOKEN + "x"), None, WRONG_TOKEN),
    (bearer(TOKEN[:-1]), None, WRONG_TOKEN),
    (bearer("tøken-ünicode"), None, WRONG_TOKEN),
])
def test_without_the_right_token_no_action_runs(actions: str, headers: Dict[str, str],
                                                params: Optional[Dict[str, str]], error: str) -> None:
    """A crafted call to action_human_contact once raised an alert for a made-up conversation."""
    CALLS.clear()
    got = requests.post(f"{actions}/webhook", json=call("action_test_human_contact"), headers=headers,
                        params=params, timeout=30)
    _refused(got, error)
    assert CALLS == []


def test_the_list_of_actions_needs_the_token_too(actions: str) -> None:
    _refused(requests.get(f"{actions}/actions", timeout=30), NO_TOKEN)
    listed = requests.get(f"{actions}/actions", headers=bearer(TOKEN), timeout=30)
    assert listed.status_code == 200 and {"name": "action_test_human_contact"} in listed.json()


def test_health_is_open(actions: str, unconfigured: str) -> None:
    for base in (actions, unconfigured):
        got = requests.get(f"{base}/health", timeout=30)
        assert got.status_code == 200 and got.json() == {"status": "ok"}


def test_with_no_token_configured_it_answers_no_one(unconfigured: str) -> None:
    """Fail closed: not even an empty bearer token, nor a made-up one, gets through."""
    CALLS.clear()
    for headers in ({}, bearer(""), bearer("anything"), bearer("None")):
        got = requests.post(f"{unconfigured}/webhook", json=call("action_test_human_contact"),
                            headers=headers, timeout=30)
        _refused(got, NOT_CONFIGURED)
    assert CALLS == []


# Failures: a plain error, never the request's body --------------------------------------------

@pytest.mark.parametrize("body", [
    json.dumps(call("action_test_explodes", text=SECRET_WORDS)).encode(),
    json.dumps([SECRET_WORDS]).encode(),  # a list: rasa_sdk's `.get` raises, its handler echoed it
    json.dumps({"next_action": "action_test_explodes", "tracker": SECRET_WORDS}).encode(),
])
def test_a_failure_is_a_plain_500_without_the_body(actions: str, body: bytes,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        got = requests.post(f"{actions}/webhook", data=body, timeout=30,
                            headers={"Content-Type": "application/json", **bearer(TOKEN)})
    assert got.status_code == 500
    assert got.json() == {"error": FAILED}
    assert "nobody is home" not in got.text
    assert "nobody is home" not in caplog.text


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (("{" * 10 + SECRET_WORDS).encode(), 400),
])
def test_a_body_that_is_not_json_is_a_400_without_the_body(actions: str, body: bytes, status: int) -> None:
    got = requests.post(f"{actions}/webhook", data=body, timeout=30,
                        headers={"Content-Type": "application/json", **bearer(TOKEN)})
    assert got.status_code == status
    assert got.json() == {"error": "Bad Request"}
    assert "nobody" not in got.text


def test_an_unknown_path_keeps_its_404(actions: str) -> None:
    got = requests.get(f"{actions}/nowhere", headers=bearer(TOKEN), timeout=30)
    assert got.status_code == 404 and got.json() == {"error": "Not Found"}


def test_rasa_sdks_own_handler_would_have_echoed_the_body() -> None:
    """The contrast: rasa_sdk's app alone sends the request body back with its 500."""
    from rasa_sdk.endpoint import create_app as sdk_create_app

    Sanic.test_mode = True
    app = sdk_create_app(sys.modules[__name__])
    running = Server(app, None)
    running.start()
    try:
        got = requests.post(f"http://127.0.0.1:{running.port}/webhook", json=[SECRET_WORDS], timeout=30)
    finally:
        running.stop()
    assert got.status_code == 500 and SECRET_WORDS in got.text


# How it is started, and how Rasa is told the token ----------------------------------------------

def test_the_token_is_read_from_the_settings_and_a_made_up_one_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", "from-env")
    assert actions_server.configured_token() == "from-env"
    monkeypatch.setenv("RASA_AUTH_TOKEN", "")
    monkeypatch.setattr("bot.settings.load_dotenv", lambda *a, **k: False)
    assert actions_server.configured_token() is None


def test_msp_serve_and_msp_part_start_this_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
    settings = load_settings()
    command = Services(settings)._actions_command(0)
    assert command[1:3] == ["-m", "bot.actions_server"]
    assert command[command.index("--actions") + 1] == "bot.actions"
    part, env = part_command(settings, "actions", 0)
    assert part == command and env["RASA_AUTH_TOKEN"] == TOKEN


def test_each_endpoints_file_sends_the_token_as_a_bearer_header(tmp_path: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
    settings = load_settings()
    written = write_endpoints(settings, tmp_path / "endpoints.yml")
    endpoint = yaml.safe_load(written.read_text())["action_endpoint"]
    assert endpoint == action_endpoint(settings) == {
        "url": f"http://127.0.0.1:{settings.actions_port}/webhook",
        "headers": {"Authorization": f"Bearer {TOKEN}"},
    }
    assert oct(written.stat().st_mode & 0o777) == "0o600"
    config = read_endpoint_config(str(written), "action_endpoint")  # as Rasa reads it
    assert config is not None and config.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert "token" not in config.combine_parameters()  # not in the URL


def test_rasas_own_call_gets_through(actions: str) -> None:
    """Rasa's EndpointConfig, configured as the endpoints file says, is let in; `token:` is not."""
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    CALLS.clear()
    config = EndpointConfig.from_dict({"url": f"{actions}/webhook", "headers": bearer(TOKEN)})
    answer = asyncio.run(config.request(json=call("action_test_human_contact", "conv-rasa"), method="post"))
    assert answer["events"][0]["name"] == "alerted" and CALLS == ["conv-rasa"]
    refused = EndpointConfig.from_dict({"url": f"{actions}/webhook", "token": TOKEN})  # sent as ?token=
    with pytest.raises(ClientResponseError) as error:
        asyncio.run(refused.request(json=call("action_test_human_contact", "conv-rasa-2"), method="post"))
    assert error.value.status == 401 and CALLS == ["conv-rasa"]


def test_started_without_a_token_it_says_so(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """`python -m bot.actions_server` with no RASA_AUTH_TOKEN: one critical line, and a server that answers no one."""
    built: Dict[str, Any] = {}

    class StandInApp:
        def run(self, host: str, port: int, **kwargs: Any) -> None:
            built["run"] = (host, port)

    def build(actions: str, token: Optional[str], cors: Any) -> StandInApp:
        built["app"] = (actions, token)
        return StandInApp()

    monkeypatch.setattr(actions_server, "configured_token", lambda: None)
    monkeypatch.setattr(actions_server, "create_app", build)
    monkeypatch.setattr(actions_server.sdk_utils, "configure_colored_logging", lambda level: None)
    monkeypatch.setattr(actions_server, "plugin_manager",
                        lambda: type("PM", (), {"hook": type("H", (), {
                            "attach_sanic_app_extensions": staticmethod(lambda app: None)})()})())
    monkeypatch.setenv("SANIC_HOST", "127.0.0.1")
    with caplog.at_level(logging.INFO):
        actions_server.main(["--actions", "bot.actions", "--port", "5999"])
    assert built == {"app": ("bot.actions", None), "run": ("127.0.0.1", 5999)}
    assert [r.levelname for r in caplog.records if "RASA_AUTH_TOKEN is not set" in r.getMessage()] == ["CRITICAL"]
