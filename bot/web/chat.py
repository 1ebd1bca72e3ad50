"""The person's chat: open an invitation, talk, leave quickly.

Views are thin: they check what came in, call the invitation store and the
Rasa client, and render. The session holds ids only (the conversation id and
where this visit's part of the chat begins), never what the person typed:
the chat so far is read back from Rasa's tracker each time.
Without JavaScript every message is a normal form post; with it, the same
post is made by fetch() and the server sends back the new lines as HTML.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from bot.settings import Settings
from bot.store import invitations as invitation_store
from bot.web import csrf
from bot.web.invitations import Invitation, InvitationError, read
from bot.web.limits import RateLimiter
from bot.web.rasa_client import RasaClient, RasaNotSaved, RasaUnavailable, Reply, Turn, opening_message

chat = Blueprint("chat", __name__)

MAX_CHARS = 2000
# Control characters are not words: NUL and the like are dropped, line breaks and tabs kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _settings() -> Settings:
    return current_app.config["MSP_SETTINGS"]  # type: ignore[no-any-return]


def _rasa() -> RasaClient:
    return current_app.extensions["msp.rasa"]  # type: ignore[no-any-return]


def _limiter() -> RateLimiter:
    return current_app.extensions["msp.limiter"]  # type: ignore[no-any-return]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _invitation(token: str) -> Invitation:
    settings = _settings()
    return read(token, settings.secret_key, settings.invite_max_age_days)


def clean_text(raw: str) -> str:
    """The person's words as typed, less characters that are not text."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()


# --- pages without a conversation --------------------------------------------------------------


@chat.get("/")
def home() -> str:
    return render_template("home.html")


@chat.get("/safety")
def safety() -> str:
    return render_template("safety.html")


@chat.get("/start/<token>")
def invitation(token: str) -> Any:
    try:
        _invitation(token)
    except InvitationError as problem:
        return render_template("problem.html", problem="expired" if problem.expired else "bad_link"), 400
    return render_template("before_chat.html", token=token)


# --- the conversation --------------------------------------------------------------------------


@chat.post("/start/<token>")
def start(token: str) -> Any:
    try:
        invite = _invitation(token)
    except InvitationError as problem:
        return render_template("problem.html", problem="expired" if problem.expired else "bad_link"), 400
    conversation_id, _first = invitation_store.open_invitation(
        invite.invite_id, invite.enquiry_ref, invite.stage, invite.role
    )
    session.clear()
    session["cid"] = conversation_id
    session["opening"] = opening_message(invite)
    session["since"] = None  # set once the opening has gone: this visit shows only what follows it
    return redirect(url_for(".conversation"), code=303)


def _open_if_needed(rasa: RasaClient) -> None:
    """Send the opening (built from the invitation) once per visit; a resumed chat says welcome back."""
    if session.get("since") is not None:
        return
    rasa.send(session["cid"], session["opening"], trusted=True)
    session["since"] = rasa.last_user_event(session["cid"])


def _turns() -> List[Turn]:
    rasa = _rasa()
    _open_if_needed(rasa)
    return rasa.turns(session["cid"], int(session["since"]))


def _buttons(turns: List[Turn]) -> List[Dict[str, str]]:
    """The answer buttons of the assistant's last message, if the person has not answered it yet."""
    if turns and turns[-1].speaker == "assistant":
        for turn in reversed(turns):
            if turn.speaker != "assistant":
                break
            if turn.buttons:
                return turn.buttons
    return []


def _page(turns: List[Turn], status: int = 200, error: Optional[str] = None, typed: str = "",
          rasa_down: bool = False) -> Any:
    return render_template("chat.html", turns=turns, buttons=_buttons(turns), error=error, typed=typed,
                           rasa_down=rasa_down, max_chars=MAX_CHARS), status


@chat.get("/chat")
def conversation() -> Any:
    if not session.get("cid"):
        return render_template("problem.html", problem="no_chat"), 200
    try:
        return _page(_turns())
    except RasaUnavailable:
        return _page([], status=503, rasa_down=True)


@chat.post("/chat")
def send() -> Any:
    if not session.get("cid"):
        if _wants_json():
            return _json_error("no_chat", 409)
        return render_template("problem.html", problem="no_chat"), 409
    raw = request.form.get("message", "")
    text = clean_text(raw)
    error = "empty" if not text else ("too_long" if len(text) > MAX_CHARS else None)
    if error is None and not _limiter().allow(session["cid"]):
        error = "too_fast"
    if error:
        return _failed(error, raw, 429 if error == "too_fast" else 400)
    try:
        _open_if_needed(_rasa())
        replies = _rasa().send(session["cid"], text)
    except RasaNotSaved:
        return _failed("not_saved", raw, 503)
    except RasaUnavailable:
        return _failed("rasa_down", raw, 503)
    if _wants_json():
        return _json_turns(text, replies)
    return redirect(url_for(".conversation", _anchor="latest"), code=303)


def _failed(error: str, typed: str, status: int) -> Any:
    """The person's text stays in the box, with a kind word on what went wrong."""
    if _wants_json():
        return _json_error(error, status)
    try:
        turns = _turns() if error != "rasa_down" else []
    except RasaUnavailable:
        turns, error = [], ("not_saved" if error == "not_saved" else "rasa_down")
    return _page(turns, status=status, error=error, typed=typed, rasa_down=error == "rasa_down")


def _json_turns(text: str, replies: List[Reply]) -> Response:
    turns = [Turn("person", text)] + [Turn("assistant", r.text, r.buttons) for r in replies]
    return jsonify(
        turns_html=render_template("_turns.html", turns=turns),
        actions_html=render_template("_actions.html", buttons=_buttons(turns)),
        announce=" ".join(r.text for r in replies if r.text),
    )


def _json_error(error: str, status: int) -> Response:
    response = jsonify(error=error, error_html=render_template("_error.html", error=error),
                       announce=render_template("_error_words.txt", error=error).strip())
    response.status_code = status
    return response


@chat.post("/leave")
@csrf.exempt  # leaving quickly (a beacon from "Exit this page") may only end this browser's session
def leave() -> tuple:  # type: ignore[type-arg]
    session.clear()
    return "", 204
