"""The web app without Rasa: a stub stands in for it, so every branch is quick to reach."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from bot import constants as c
from bot.settings import PROJECT_ROOT, load_settings
from bot.store import invitations as invitation_store
from bot.web import create_app, invitations
from bot.web.rasa_client import RasaUnavailable, Reply, _turn

SECRET = "test-secret-key-" + "x" * 40
# Titles and payloads differ, so a test can tell which of the two was sent.
QUESTION = Reply("Is it OK to talk about this now?", [{"title": "Yes", "payload": "yes"},
                                                      {"title": "No", "payload": "no"}])
DANGER_HELP = Reply("I am worried about you. If you are in danger now, call 999.")
GOODBYE = Reply("Thank you. Goodbye.")
DANGER_WORDS = "he's back and he's got a knife"


class StubRasa:
    """Records what the web app sends, answers with one question, and can be made to fail.

    A press of "I am not safe right now" gets the help, then the question again;
    "bye" gets a goodbye without buttons.
    """

    def __init__(self) -> None:
        self.sent: List[Tuple[str, str, bool]] = []
        self.metadata: List[Optional[Dict[str, Any]]] = []
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self.down = False

    def send(self, sender: str, text: str, trusted: bool = False,
             metadata: Optional[Dict[str, Any]] = None) -> List[Reply]:
        if self.down:
            raise RasaUnavailable("down")
        self.sent.append((sender, text, trusted))
        self.metadata.append(metadata)
        events = self.events.setdefault(sender, [])
        events.append({"event": "user", "text": text, "metadata": metadata or {}})
        replies = ([DANGER_HELP, QUESTION] if text == c.COMMAND_NOT_SAFE and trusted
                   else [GOODBYE] if text == "bye" else [QUESTION])
        for reply in replies:
            events.append({"event": "bot", "text": reply.text, "data": {"buttons": reply.buttons}})
        return replies

    def last_user_event(self, sender: str) -> int:
        events = self.events.get(sender, [])
        return max(i for i, e in enumerate(events) if e["event"] == "user") + 1

    def turns(self, sender: str, since: int = 0) -> List[Any]:
        if self.down:
            raise RasaUnavailable("down")
        return [t for t in (_turn(e) for e in self.events.get(sender, [])[since:]) if t]


@pytest.fixture
def web(record_db: str, tmp_path: Path) -> Iterator[Tuple[Any, StubRasa, Any]]:
    settings = load_settings().copy(update={"secret_key": SECRET, "web_session_dir": str(tmp_path / "sessions"),
                                            "chat_messages_per_minute": 5})
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
    assert 'name="button" value="yes"' in body["actions_html"]
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


def _send(client: Any, csrf: str, json: bool = False, **fields: str) -> Any:
    headers = {"Accept": "application/json"} if json else {}
    return client.post("/chat", data={"csrf_token": csrf, **fields}, headers=headers)


# --- Issue 15: presses are presses, help is two taps away, leaving really leaves ------------------


def test_a_press_goes_in_its_own_field_as_its_title_with_the_choice_in_metadata(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    page = client.get("/chat").get_data(as_text=True)
    assert 'name="button" value="yes"' in page and 'name="message" value=' not in page
    assert _send(client, csrf, button="yes").status_code == 303
    (_, text, trusted), metadata = rasa.sent[-1], rasa.metadata[-1]
    assert text == "Yes" and not trusted, "the title is the text; a press is never a command"
    assert metadata is not None and metadata[c.PRESS_KEY] == "yes" and metadata[c.VISIT_KEY]
    assert "Yes" in client.get("/chat").get_data(as_text=True)


def test_typed_words_are_words_even_when_they_look_like_a_button(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    _send(client, csrf, message="yes")
    _send(client, csrf, message=c.COMMAND_NOT_SAFE)
    for (_, _text, trusted), metadata in zip(rasa.sent[1:], rasa.metadata[1:], strict=True):
        assert not trusted and metadata is not None and c.PRESS_KEY not in metadata
    assert [s[1] for s in rasa.sent[1:]] == ["yes", c.COMMAND_NOT_SAFE]


@pytest.mark.parametrize("payload", ["/restart", "no_such_answer", '/start{"enquiry_ref": "NR-9"}'])
def test_a_press_of_a_button_that_was_not_offered_is_refused_kindly(web: Any, payload: str) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    response = _send(client, csrf, button=payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert "Is it OK to talk about this now?" in html, "the chat stays on the page"
    assert len(rasa.sent) == 1  # only the opening
    body = _send(client, csrf, json=True, button=payload).get_json()
    assert body["error"] == "not_offered" and len(rasa.sent) == 1


def test_an_old_answer_pressed_again_is_refused(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    _send(client, csrf, message="bye")  # the goodbye offers no buttons
    assert _send(client, csrf, button="yes").status_code == 400
    assert [s[1] for s in rasa.sent[1:]] == ["bye"]


@pytest.mark.parametrize("command", [c.COMMAND_NOT_SAFE, c.COMMAND_TALK_TO_PERSON])
def test_the_two_help_buttons_are_trusted_commands_on_every_screen(web: Any, command: str) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    _send(client, csrf, message="bye")  # no answer buttons offered now: the help buttons still work
    assert _send(client, csrf, button=command).status_code == 303
    (_, text, trusted), metadata = rasa.sent[-1], rasa.metadata[-1]
    assert text == command and trusted
    assert metadata is not None and metadata[c.PRESS_KEY] == command and metadata[c.VISIT_KEY]
    page = client.get("/chat").get_data(as_text=True)
    assert c.ALWAYS_BUTTONS[command] in page
    assert f">{command}<" not in page, "the chat log shows the button's title, never the command"


def _help_buttons_and_999(html: str) -> None:
    for command, title in c.ALWAYS_BUTTONS.items():
        assert re.search(rf'<button[^>]*name="button"[^>]*value="{re.escape(command)}"[^>]*>\s*{title}', html), title
    assert "In danger now? Call <strong>999</strong>" in html


def test_help_buttons_and_999_are_on_every_chat_screen(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    _help_buttons_and_999(client.get("/chat").get_data(as_text=True))
    _help_buttons_and_999(_send(client, csrf, message="   ").get_data(as_text=True))
    _help_buttons_and_999(_send(client, csrf, button="nope").get_data(as_text=True))
    _send(client, csrf, message="bye")
    _help_buttons_and_999(client.get("/chat").get_data(as_text=True))
    rasa.down = True
    _help_buttons_and_999(client.get("/chat").get_data(as_text=True))
    _help_buttons_and_999(_send(client, csrf, message="hello").get_data(as_text=True))


def test_every_message_carries_the_visit_and_each_start_makes_a_new_one(web: Any) -> None:
    app, rasa, _ = web
    token = _token()
    first, csrf = _opened(app, token)
    _send(first, csrf, message="hello")
    _send(first, csrf, button="yes")
    visits = {m[c.VISIT_KEY] for m in rasa.metadata if m}
    assert len(rasa.metadata) == 3 and all(m and m.get(c.VISIT_KEY) for m in rasa.metadata), "the opening too"
    assert len(visits) == 1
    second, csrf2 = _opened(app, token)
    _send(second, csrf2, message="hello again")
    assert rasa.metadata[-1][c.VISIT_KEY] not in visits  # type: ignore[index]
    # The same browser starting again (Back to the link, "Start the chat") is a new visit too.
    csrf3 = _csrf(first, f"/start/{token}")
    first.post(f"/start/{token}", data={"csrf_token": csrf3})
    _send(first, _csrf(first, "/chat"), message="and again")
    assert rasa.metadata[-1][c.VISIT_KEY] not in visits | {rasa.metadata[-3][c.VISIT_KEY]}  # type: ignore[index]


def _session_id(client: Any) -> str:
    cookie = client.get_cookie("msp_session")
    assert cookie is not None
    return str(cookie.value)


def test_starting_or_resuming_a_chat_gives_a_new_session_id(web: Any) -> None:
    app, _, _ = web
    client = app.test_client()
    token = _token()
    csrf = _csrf(client, f"/start/{token}")  # the CSRF token makes a session before the chat
    before = _session_id(client)
    client.post(f"/start/{token}", data={"csrf_token": csrf})
    during = _session_id(client)
    assert during != before
    client.post(f"/start/{token}", data={"csrf_token": _csrf(client, f"/start/{token}")})
    assert _session_id(client) != during
    # The old id no longer opens anything: a copy of the cookie from before finds no chat.
    stale = app.test_client()
    stale.set_cookie("msp_session", during)
    assert "Your chat is closed" in stale.get("/chat").get_data(as_text=True)
    assert "Is it OK to talk about this now?" in client.get("/chat").get_data(as_text=True)


def test_danger_is_read_and_sent_even_when_the_person_is_sending_too_fast(web: Any) -> None:
    app, rasa, _ = web
    client, csrf = _opened(app)
    for i in range(5):
        _send(client, csrf, message=f"m{i}")
    assert _send(client, csrf, message="just chatting").status_code == 429
    response = _send(client, csrf, message=DANGER_WORDS)
    assert response.status_code == 303, "the limiter stops floods, never help"
    assert rasa.sent[-1][1] == DANGER_WORDS and not rasa.sent[-1][2]
    assert _send(client, csrf, button=c.COMMAND_NOT_SAFE).status_code == 303
    assert rasa.sent[-1][1] == c.COMMAND_NOT_SAFE


def test_an_answer_that_may_mean_not_safe_is_never_held_back(web: Any) -> None:
    """ "No" or "Not sure" pressed while sending too fast still goes: it may answer "are you safe?"."""
    app, rasa, _ = web
    client, csrf = _opened(app)
    for i in range(6):
        _send(client, csrf, message=f"m{i}")
    assert _send(client, csrf, button="yes").status_code == 429
    assert _send(client, csrf, button="no").status_code == 303
    assert rasa.metadata[-1] is not None and rasa.metadata[-1][c.PRESS_KEY] == "no"


def _alerting_app(web: Any, tmp_path: Path) -> Tuple[Any, StubRasa]:
    _, _, settings = web
    settings = settings.copy(update={"duty_alert_webhook_url": "http://127.0.0.1:9/duty", "duty_alert_email": ""})
    rasa = StubRasa()
    return create_app(settings, rasa=rasa, overrides={"TESTING": True}), rasa  # type: ignore[arg-type]


def test_danger_when_rasa_is_down_still_raises_the_alert_from_the_web_app(web: Any, tmp_path: Path) -> None:
    from bot.store import alerts

    app, rasa = _alerting_app(web, tmp_path)
    client, csrf = _opened(app)
    rasa.down = True
    response = _send(client, csrf, message=DANGER_WORDS)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "999" in html and "0808 2000 247" in html
    assert "I am sending an urgent message to the team now" in html
    found = alerts.list_alerts()
    assert [(a.kind, a.stage) for a in found] == [(c.FLAG_URGENT_SAFETY, "outcomes")]
    assert DANGER_WORDS not in repr(found)


def test_rate_limited_danger_with_rasa_down_still_raises_the_alert(web: Any, tmp_path: Path) -> None:
    from bot.store import alerts

    app, rasa = _alerting_app(web, tmp_path)
    client, csrf = _opened(app)
    for i in range(5):
        _send(client, csrf, message=f"m{i}")
    rasa.down = True
    body = _send(client, csrf, json=True, message=DANGER_WORDS).get_json()
    assert "urgent message" in body["announce"] and "999" in body["error_html"]
    assert [a.kind for a in alerts.list_alerts()] == [c.FLAG_URGENT_SAFETY]


def test_asking_for_a_person_when_rasa_is_down_raises_that_alert(web: Any, tmp_path: Path) -> None:
    from bot.store import alerts

    app, rasa = _alerting_app(web, tmp_path)
    client, csrf = _opened(app)
    rasa.down = True
    html = _send(client, csrf, button=c.COMMAND_TALK_TO_PERSON).get_data(as_text=True)
    assert "to say you would like to talk to someone" in html
    assert [a.kind for a in alerts.list_alerts()] == [c.FLAG_WANTS_HUMAN_CONTACT]


def test_an_ordinary_message_when_rasa_is_down_raises_no_alert(web: Any, tmp_path: Path) -> None:
    from bot.store import alerts

    app, rasa = _alerting_app(web, tmp_path)
    client, csrf = _opened(app)
    rasa.down = True
    html = _send(client, csrf, message="I would like to make friends").get_data(as_text=True)
    assert "urgent" not in html and not alerts.list_alerts()


def test_without_javascript_the_page_lands_on_the_first_new_reply(web: Any) -> None:
    app, _, _ = web
    client, csrf = _opened(app)
    _send(client, csrf, message="hello")
    response = _send(client, csrf, button=c.COMMAND_NOT_SAFE)
    location = response.headers["Location"]
    anchor = location.rsplit("#", 1)[1]
    html = client.get("/chat").get_data(as_text=True)
    target = re.search(rf'<li[^>]*id="{anchor}"[^>]*>(.*?)</li>', html, re.S)
    assert target, f"no turn with id {anchor}"
    assert 'tabindex="-1"' in target.group(0) and DANGER_HELP.text in target.group(1)
    # And the help follows the person's own line straight away.
    ids = re.findall(r'<li[^>]*id="(turn-\d+)"', html)
    assert ids.index(anchor) == len(ids) - 2, "the help, then the question"


def test_the_label_after_the_last_message_does_not_say_or(web: Any) -> None:
    app, _, _ = web
    client, csrf = _opened(app)
    assert _send(client, csrf, json=True, message="hello").get_json()["label"] == "Or type your answer"
    body = _send(client, csrf, json=True, message="bye").get_json()
    assert body["label"] == "Type your answer"
    assert ">\n    Type your answer" in client.get("/chat").get_data(as_text=True) or \
        "Or type your answer" not in client.get("/chat").get_data(as_text=True)


def test_a_plain_form_exit_leaves_for_the_neutral_site_without_a_csrf_token(web: Any) -> None:
    app, _, settings = web
    client, _ = _opened(app)
    page = client.get("/chat").get_data(as_text=True)
    assert re.search(r'<form[^>]*method="post"[^>]*action="/leave"', page), "an exit that works without JavaScript"
    response = client.post("/leave", data={"exit": "1"})
    assert response.status_code == 303 and response.headers["Location"] == settings.exit_url
    assert "Your chat is closed" in client.get("/chat").get_data(as_text=True)


def test_the_page_may_send_its_exit_form_to_the_neutral_site(web: Any) -> None:
    app, _, settings = web
    csp = app.test_client().get("/chat").headers["Content-Security-Policy"]
    form_action = next(p for p in csp.split("; ") if p.startswith("form-action"))
    origin = "/".join(settings.exit_url.split("/")[:3])
    assert form_action == f"form-action 'self' {origin}"


def test_a_quick_exit_is_noted_for_the_duty_team_and_never_stops_leaving(
    web: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from bot.store import alerts

    app, _, settings = web
    noted: List[Tuple[str, Tuple[str, ...]]] = []
    done = threading.Event()

    def note(conversation_id: str, channels: Tuple[str, ...]) -> Optional[int]:
        noted.append((conversation_id, tuple(channels)))
        done.set()
        return None

    monkeypatch.setattr(alerts, "note_quick_exit", note)
    client, _ = _opened(app)
    with client.session_transaction() as session:
        cid = session["cid"]
    assert client.post("/leave").status_code == 204
    assert done.wait(10) and noted == [(cid, tuple(settings.alert_channels))]

    def broken(conversation_id: str, channels: Tuple[str, ...]) -> Optional[int]:
        raise RuntimeError("database gone")

    monkeypatch.setattr(alerts, "note_quick_exit", broken)
    client, _ = _opened(app)
    assert client.post("/leave", data={"exit": "1"}).status_code == 303
    assert client.post("/leave").status_code == 204, "no chat open: leaving still works"


def test_pages_never_say_back_will_not_return(web: Any) -> None:
    app, _, _ = web
    client = app.test_client()
    for path in ("/", "/safety", f"/start/{_token()}"):
        assert "back button will not" not in client.get(path).get_data(as_text=True).lower(), path


def test_a_pressed_help_button_shows_its_title_but_typed_words_stay_as_typed() -> None:
    pressed = _turn({"event": "user", "text": c.COMMAND_NOT_SAFE, "metadata": {c.PRESS_KEY: c.COMMAND_NOT_SAFE}})
    typed = _turn({"event": "user", "text": c.COMMAND_NOT_SAFE, "metadata": {}})
    assert pressed is not None and pressed.text == c.ALWAYS_BUTTONS[c.COMMAND_NOT_SAFE]
    assert typed is not None and typed.text == c.COMMAND_NOT_SAFE


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


@pytest.mark.parametrize("typed,problem", [("", "empty"), (" \x00 ", "empty"), ("x" * 2001, "too_long"),
                                           ("hello\x00 there", None)])
def test_the_message_form_gives_the_error_the_page_shows(web: Any, typed: str, problem: Optional[str]) -> None:
    """The chat's error words come from the form's check of the cleaned words (bot/web/forms.py)."""
    from bot.web.forms import MessageForm

    app, _, _ = web
    with app.test_request_context("/chat", method="POST", data={"message": typed}):
        form = MessageForm()
        form.validate()
        assert form.problem == problem and form.typed == typed
        if problem is None:
            assert form.message.data == "hello there"
