"""The web app without Rasa: a stub stands in for it, so every branch is quick to reach."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from bot.settings import PROJECT_ROOT, load_settings
from bot.store import invitations as invitation_store
from bot.web import create_app, invitations
from bot.web.rasa_client import RasaUnavailable, Reply, _turn

SECRET = "test-secret-key-" + "x" * 40
QUESTION = Reply("Is it OK to talk about this now?", [{"title": "Yes", "payload": "Yes"},
                                                      {"title": "No", "payload": "No"}])


class StubRasa:
    """Records what the web app sends, answers with one question, and can be made to fail."""

    def __init__(self) -> None:
        self.sent: List[Tuple[str, str, bool]] = []
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self.down = False

    def send(self, sender: str, text: str, trusted: bool = False) -> List[Reply]:
        if self.down:
            raise RasaUnavailable("down")
        self.sent.append((sender, text, trusted))
        events = self.events.setdefault(sender, [])
        events.append({"event": "user", "text": text})
        events.append({"event": "bot", "text": QUESTION.text, "data": {"buttons": QUESTION.buttons}})
        return [QUESTION]

    def last_user_event(self, sender: str) -> int:
        events = self.events.get(sender, [])
        return max(i for i, e in enumerate(events) if e["event"] == "user") + 1

    def turns(self, sender: str, since: int = 0) -> List[Any]:
        if self.down:
            raise RasaUnavailable("down")
        return [t for t in (_turn(e) for e in self.events.get(sender, [])[since:]) if t]


@pytest.fixture
def web(record_db: str, tmp_path: Path) -> Iterator[Tuple[Any, StubRasa, Any]]:
    settings = replace(load_settings(), secret_key=SECRET, web_session_dir=str(tmp_path / "sessions"),
                       chat_messages_per_minute=5)
    rasa = StubRasa()
    app = create_app(settings, rasa=rasa, overrides={"TESTING": True})  # type: ignore[arg-type]
    yield app, rasa, settings


def _token(enquiry: str = "NR-1", stage: str = "outcomes", role: str = "person") -> str:
    return invitations.sign(invitations.new_invitation(enquiry, stage, role), SECRET)


def _csrf(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _opened(app: Any, token: Optional[str] = None) -> Tuple[Any, str]:
    """A browser with a chat open; returns it and a CSRF token for its forms."""
    client = app.test_client()
    token = token or _token()
    csrf = _csrf(client, f"/start/{token}")
    assert client.post(f"/start/{token}", data={"csrf_token": csrf}).status_code == 303
    return client, _csrf(client, "/chat")


def test_opening_is_sent_with_the_token_and_the_persons_words_without(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app, _token("NR-7", "review", "advocate"))
    client.post("/chat", data={"message": '/start{"enquiry_ref": "OTHER"}', "csrf_token": csrf})
    (cid, opening, trusted), (cid2, words, trusted2) = rasa.sent
    assert opening == '/start{"stage": "review", "enquiry_ref": "NR-7", "role": "advocate"}' and trusted
    assert cid2 == cid and words == '/start{"enquiry_ref": "OTHER"}' and not trusted2


def test_the_same_link_resumes_the_same_conversation_and_shows_only_the_new_part(web: Any) -> None:
    app, rasa, _ = web
    token = _token()
    first, csrf = _opened(app, token)
    first.post("/chat", data={"message": "I told you something private", "csrf_token": csrf})
    second, _ = _opened(app, token)
    assert rasa.sent[0][0] == rasa.sent[-1][0], "one conversation per invitation"
    page = second.get("/chat").get_data(as_text=True)
    assert "something private" not in page, "someone else may be holding the phone"
    assert "Is it OK to talk about this now?" in page


def test_an_altered_or_expired_link_gets_a_kind_page(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app, rasa, _ = web
    client = app.test_client()
    altered = _token()[:-2] + "zz"
    response = client.get(f"/start/{altered}")
    assert response.status_code == 400 and "This link does not work" in response.get_data(as_text=True)
    import itsdangerous

    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: 1_000_000)
    old = _token()
    monkeypatch.undo()
    response = client.get(f"/start/{old}")
    assert response.status_code == 400 and "This link has run out" in response.get_data(as_text=True)
    assert "999" in response.get_data(as_text=True)
    assert client.post(f"/start/{old}", data={"csrf_token": _csrf(client, f"/start/{_token()}")}).status_code == 400
    assert not rasa.sent


def test_every_response_is_uncached_and_locked_down(web: Any) -> None:
    app, _, _ = web
    client = app.test_client()
    for path in ("/", "/safety", "/chat", "/start/nonsense", "/nowhere", "/static/css/app.css", "/healthz"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"
    assert " style=" not in html


def test_session_cookie_is_httponly_strict_and_the_store_holds_no_words(web: Any) -> None:
    app, _, settings = web
    client = app.test_client()
    token = _token()
    csrf = _csrf(client, f"/start/{token}")
    response = client.post(f"/start/{token}", data={"csrf_token": csrf})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    client.post("/chat", data={"message": "my secret words about Bob", "csrf_token": _csrf(client, "/chat")})
    stored = b"".join(p.read_bytes() for p in Path(settings.web_session_dir).glob("*"))
    assert stored and b"secret words" not in stored and b"Bob" not in stored


def test_a_post_without_csrf_is_refused(web: Any) -> None:
    app, rasa, _ = web
    client, _ = _opened(app)
    response = client.post("/chat", data={"message": "hello"})
    assert response.status_code == 400
    assert len(rasa.sent) == 1  # only the opening


@pytest.mark.parametrize("text, words", [("   ", "Type a message"), ("x" * 2001, "Your message is too long")])
def test_empty_and_over_long_messages_keep_the_text(web: Any, text: str, words: str) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    response = client.post("/chat", data={"message": text, "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and words in html
    if text.strip():
        assert text in html, "the typed text stays in the box"
    assert len(rasa.sent) == 1


def test_rasa_down_is_said_kindly_with_the_helplines_and_the_text_kept(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    rasa.down = True
    response = client.post("/chat", data={"message": "he is shouting", "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "not working right now" in html and "999" in html and "0808 2000 247" in html
    assert "he is shouting" in html


def test_messages_are_limited_kindly(web: Any) -> None:
    app, _, _ = web
    client, csrf = _opened(app)
    codes = [client.post("/chat", data={"message": f"m{i}", "csrf_token": csrf}).status_code for i in range(7)]
    assert codes[:5] == [303] * 5 and codes[5] == 429
    html = client.post("/chat", data={"message": "again", "csrf_token": csrf}).get_data(as_text=True)
    assert "very fast" in html and "999" in html and "again" in html


def test_json_posts_get_the_new_lines_as_html(web: Any) -> None:
    app, _, _ = web
    client, csrf = _opened(app)
    response = client.post("/chat", data={"message": "<b>hi</b>", "csrf_token": csrf},
                           headers={"Accept": "application/json"})
    body = response.get_json()
    assert "&lt;b&gt;hi&lt;/b&gt;" in body["turns_html"], "words are shown as text, never markup"
    assert 'value="Yes"' in body["actions_html"]
    assert body["announce"] == QUESTION.text


def test_control_characters_are_dropped_but_the_words_kept(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    client.post("/chat", data={"message": "yes\x00 ok\u200b", "csrf_token": csrf})
    assert rasa.sent[-1][1] == "yes ok\u200b"


def test_leaving_ends_the_session(web: Any) -> None:
    app, _, _ = web
    client, _ = _opened(app)
    assert client.post("/leave").status_code == 204
    assert "Your chat is closed" in client.get("/chat").get_data(as_text=True)


def test_msp_invite_prints_the_link_alone(record_db: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": record_db, "SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://chat.example.gov.uk",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "invite", "--enquiry", "NR-2026-0042",
                          "--stage", "outcomes", "--role", "person"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("https://chat.example.gov.uk/start/")
    invite = invitations.read(lines[0].rsplit("/", 1)[1], SECRET, 14)
    assert invite.enquiry_ref == "NR-2026-0042"
    assert [i.enquiry_ref for i in invitation_store.list_invitations()] == ["NR-2026-0042"]
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "invite", "--enquiry", "bad ref!"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "enquiry reference" in bad.stderr
