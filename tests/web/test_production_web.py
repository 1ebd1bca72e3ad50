"""The web app on the production path: every Rasa instance, failover, and the client's real address
behind a reverse proxy (TRUSTED_PROXIES)."""

from __future__ import annotations

import json
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from bot.settings import load_settings
from bot.web import create_app
from bot.web.rasa_client import RasaClient, RasaUnavailable

SECRET = "test-secret-key-" + "x" * 40


def _app(tmp_path: Path, **changes: Any) -> Any:
    changes = {"rasa_instances": 1, "trusted_proxies": 0, **changes}
    settings = load_settings().copy(update={"secret_key": SECRET, "web_session_dir": str(tmp_path / "sessions"),
                                            **changes})
    app = create_app(settings, overrides={"TESTING": True})

    @app.get("/_address")
    def address() -> str:
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    return app


def test_the_web_app_talks_to_every_instance(tmp_path: Path) -> None:
    app = _app(tmp_path, rasa_port=7005, rasa_instances=3)
    assert app.extensions["msp.rasa"].urls == [
        "http://127.0.0.1:7005", "http://127.0.0.1:7006", "http://127.0.0.1:7007"]


def test_behind_one_proxy_the_audited_address_is_the_clients(tmp_path: Path) -> None:
    client = _app(tmp_path, trusted_proxies=1).test_client()
    response = client.get("/_address", headers={"X-Forwarded-For": "203.0.113.7",
                                                "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "203.0.113.7 https"
    assert "Strict-Transport-Security" in response.headers  # HTTPS ended at the proxy
    # A client's own X-Forwarded-For in front of the proxy's is not believed: only the last hop is.
    spoofed = client.get("/_address", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"},
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert spoofed.get_data(as_text=True).split()[0] == "203.0.113.7"


def test_without_a_proxy_forwarded_headers_mean_nothing(tmp_path: Path) -> None:
    client = _app(tmp_path).test_client()
    response = client.get("/_address", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert response.get_data(as_text=True) == "198.51.100.1 http"
    assert "Strict-Transport-Security" not in response.headers


class _Rasa(BaseHTTPRequestHandler):
    """A stand-in Rasa REST channel: answers one message, or drops the connection."""

    drop = False
    hits: List[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).hits.append(self.path)
        if self.drop:
            self.connection.shutdown(socket.SHUT_RDWR)  # after the request arrived: it may have been saved
            return
        body = json.dumps([{"text": "Is it OK to talk about this now?"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def rasa_server() -> Iterator[Any]:
    handler = type("Handler", (_Rasa,), {"hits": [], "drop": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, handler
    server.shutdown()
    server.server_close()


def _refusing_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed again: connections are refused


def test_an_instance_that_refuses_is_passed_over(rasa_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, handler = rasa_server
    up = f"http://127.0.0.1:{server.server_address[1]}"
    down = _refusing_url()
    monkeypatch.setattr(random, "sample", lambda urls, k: [down, up])  # the dead one first
    client = RasaClient([down, up], "token", timeout_s=5, secret="channel-secret")
    assert client.send("conv-1", "yes")[0].text == "Is it OK to talk about this now?"
    assert handler.hits == ["/webhooks/rest/webhook"]


def test_a_connection_lost_after_sending_is_not_sent_again_elsewhere(rasa_server: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The turn may have been saved: the person is asked to send it again, not sent twice behind their back."""
    server, handler = rasa_server
    handler.drop = True
    dropping = f"http://127.0.0.1:{server.server_address[1]}"
    other = _refusing_url()
    monkeypatch.setattr(random, "sample", lambda urls, k: [dropping, other])
    with pytest.raises(RasaUnavailable):
        RasaClient([dropping, other], "token", timeout_s=5, secret="channel-secret").send("conv-1", "yes")
    assert len(handler.hits) == 1


def test_every_instance_refusing_is_rasa_unavailable() -> None:
    with pytest.raises(RasaUnavailable):
        RasaClient([_refusing_url(), _refusing_url()], "token", timeout_s=5, secret="s").send("conv-1", "yes")
