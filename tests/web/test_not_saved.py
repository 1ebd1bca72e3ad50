"""Rasa could not save a message (503 "not_saved"): the page asks the person to send it again.

Its own words, beside "the chat is not working" (Rasa down): here Rasa is up,
the chat so far is still shown, and sending the same message again is right.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest
import requests

from bot.web.rasa_client import RasaNotSaved, RasaUnavailable, Reply, _refusal
from tests.web.test_chat_app import StubRasa, _opened, web  # noqa: F401 (the `web` fixture)

TYPED = "he took my bank card again"


class NotSavingRasa(StubRasa):
    """Up and reading conversations, but each message fails to be saved while `failing`."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def send(self, sender: str, text: str, trusted: bool = False,
             metadata: Optional[Dict[str, Any]] = None) -> List[Reply]:
        if self.failing:
            raise RasaNotSaved("HTTP 503 not_saved")
        return super().send(sender, text, trusted, metadata)


@pytest.fixture
def not_saving(web: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    app, _, settings = web
    rasa = NotSavingRasa()
    app.extensions["msp.rasa"] = rasa
    return app, rasa


def _response(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


def test_the_client_tells_not_saved_from_down() -> None:
    assert isinstance(_refusal(_response(503, {"error": "x", "reason": "not_saved"})), RasaNotSaved)
    for status, body in ((503, {"error": "x"}), (500, {"reason": "not_saved"}), (502, "<html>")):
        refusal = _refusal(_response(status, body))
        assert isinstance(refusal, RasaUnavailable) and not isinstance(refusal, RasaNotSaved)


def test_not_saved_asks_to_send_it_again_with_the_helplines_and_the_text_kept(not_saving: Any) -> None:
    app, rasa = not_saving
    client, csrf = _opened(app)
    rasa.failing = True
    response = client.post("/chat", data={"message": TYPED, "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, we could not save that. Please send it again." in html
    assert "999" in html and "0808 2000 247" in html and "116 123" in html
    assert TYPED in html, "the typed text stays in the box"
    assert "Is it OK to talk about this now?" in html, "Rasa is up: the chat so far is still shown"
    # (The page always carries the "not working" words in a template, for when the browser is offline.)
    assert "not working right now" not in html.split('id="offline-error"')[0]

    rasa.failing = False
    assert client.post("/chat", data={"message": TYPED, "csrf_token": csrf}).status_code == 303
    assert [text for _, text, _ in rasa.sent][-1] == TYPED


def test_not_saved_with_javascript_gets_its_own_words(not_saving: Any) -> None:
    app, rasa = not_saving
    client, csrf = _opened(app)
    rasa.failing = True
    response = client.post("/chat", data={"message": TYPED, "csrf_token": csrf},
                           headers={"Accept": "application/json"})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "not_saved"
    assert body["announce"].startswith("Sorry, we could not save that. Please send it again.")
    assert "999" in body["error_html"] and "0808 2000 247" in body["error_html"]
