"""The person's chat: open an invitation, talk, ask for help, leave quickly.

Views are thin: they check what came in, call the invitation store and the
Rasa client, and render. The session holds ids only (the conversation id, the
invitation's stage, this visit's id and where this visit's part of the chat
begins), never what the person typed: the chat so far is read back from
Rasa's tracker each time.

Without JavaScript every message is a normal form post, answered with a
redirect to the first new reply (an anchor), so the reply is what the screen
shows. With it, the same post is made by fetch() and the server sends back
the new lines as HTML; the script scrolls to the first new reply and focuses it.

What a post may carry, and how far it is trusted:
- `message`: words the person typed. Always sent as words, never a command.
- `button`: an answer button. Checked against the buttons of the assistant's
  latest turn (from the tracker); one not offered is refused kindly. Sent with
  the button's title as the text, and the payload as metadata `press`.
- `button` = one of the two help buttons on every chat screen ("I am not safe
  right now", "I want to talk to a person"): sent as the server's own trusted
  command, whatever was offered, and never held back by the rate limit.
Every message to Rasa, the opening included, carries this visit's id (`visit`),
so the actions read back a person's words only in the visit that wrote them.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Any, Dict, List, Optional, cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_session.base import ServerSideSessionInterface

from bot import constants as c
from bot.settings import Settings
from bot.store import invitations as invitation_store
from bot.web import csrf
from bot.web.forms import MAX_CHARS, LeaveForm, MessageForm, StartForm, clean_text
from bot.web.invitations import Invitation, InvitationError, read
from bot.web.limits import Limiter, reads_as_danger
from bot.web.rasa_client import RasaClient, RasaNotSaved, RasaUnavailable, Reply, Turn, opening_message

logger = logging.getLogger(__name__)

chat = Blueprint("chat", __name__)

__all__ = ["MAX_CHARS", "chat", "clean_text"]  # the chat's words and their check live in bot/web/forms.py
# A flag raised by the web app itself when Rasa cannot take a cry for help, and the error the
# page then shows (it says the team is being told only when an alert channel is set up).
_FLAG_FOR_PRESS = {
    c.COMMAND_NOT_SAFE: c.FLAG_URGENT_SAFETY,
    c.COMMAND_TALK_TO_PERSON: c.FLAG_WANTS_HUMAN_CONTACT,
}
_TOLD_THE_TEAM = {c.FLAG_URGENT_SAFETY: "down_urgent_sent", c.FLAG_WANTS_HUMAN_CONTACT: "down_person_sent"}


def _settings() -> Settings:
    return current_app.config["MSP_SETTINGS"]  # type: ignore[no-any-return]


def _rasa() -> RasaClient:
    return current_app.extensions["msp.rasa"]  # type: ignore[no-any-return]


def _limiter() -> Limiter:
    return current_app.extensions["msp.limiter"]  # type: ignore[no-any-return]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _invitation(token: str) -> Invitation:
    settings = _settings()
    return read(token, settings.secret_key, settings.invite_max_age_days)


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
    """Start or resume the chat: a new visit, and a new session id (nothing carries over)."""
    if not StartForm().validate():  # nothing but its CSRF token, which CSRFProtect has checked
        abort(400)
    try:
        invite = _invitation(token)
    except InvitationError as problem:
        return render_template("problem.html", problem="expired" if problem.expired else "bad_link"), 400
    conversation_id, _first = invitation_store.open_invitation(
        invite.invite_id, invite.enquiry_ref, invite.stage, invite.role
    )
    session.clear()
    session["cid"] = conversation_id
    session["stage"] = invite.stage
    session["visit"] = secrets.token_urlsafe(16)
    session["opening"] = opening_message(invite)
    session["since"] = None  # set once the opening has gone: this visit shows only what follows it
    _regenerate()
    return redirect(url_for(".conversation"), code=303)


def _regenerate() -> None:
    """A new session id for what the session holds now; the old one is deleted from the store."""
    cast(ServerSideSessionInterface, current_app.session_interface).regenerate(session)


def _metadata(press: Optional[str] = None) -> Dict[str, str]:
    """What the web app vouches for with a message: this visit, and a checked button press."""
    if not session.get("visit"):  # a session from before visits were kept
        session["visit"] = secrets.token_urlsafe(16)
    metadata = {c.VISIT_KEY: str(session["visit"])}
    if press is not None:
        metadata[c.PRESS_KEY] = press
    return metadata


def _open_if_needed(rasa: RasaClient) -> None:
    """Send the opening (built from the invitation) once per visit; a resumed chat says welcome back."""
    if session.get("since") is not None:
        return
    rasa.send(session["cid"], session["opening"], trusted=True, metadata=_metadata())
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
                           rasa_down=rasa_down, max_chars=MAX_CHARS, help_buttons=c.ALWAYS_BUTTONS), status


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
    form = MessageForm()
    if form.button.data:
        return _pressed(form.button.data)
    return _typed(form)


def _typed(form: MessageForm) -> Any:
    """Words the person typed: always words. Over the rate limit, they are still read for danger."""
    raw = form.typed
    form.validate()
    if form.problem:
        return _failed(form.problem, raw, 400)
    text = str(form.message.data)
    if not _limiter().allow(session["cid"]) and not reads_as_danger(text):
        # The limiter stops floods, never help: a message that reads as danger goes through.
        return _failed("too_fast", raw, 429)
    return _deliver(text, shown=text, typed=raw)


NEVER_HELD_BACK = frozenset({c.NO, c.NOT_SURE})


def _pressed(payload: str) -> Any:
    """A button: one of the two help buttons, or an answer the assistant's latest turn offered."""
    if payload in c.ALWAYS_BUTTONS:
        _limiter().allow(session["cid"])  # counted, but never refused
        return _deliver(payload, shown=c.ALWAYS_BUTTONS[payload], trusted=True, press=payload)
    # An answer that may mean "I am not safe" ("No", "Not sure" to "Are you safe?") is never held back:
    # the limiter stops floods, never help. It still has to be one of the buttons offered.
    if not _limiter().allow(session["cid"]) and payload not in NEVER_HELD_BACK:
        return _failed("too_fast", "", 429)
    try:
        turns = _turns()
    except RasaNotSaved:
        return _failed("not_saved", "", 503)
    except RasaUnavailable:
        return _failed("rasa_down", "", 503)
    offered = {button["payload"]: button["title"] for button in _buttons(turns)}
    if payload not in offered:
        return _failed("not_offered", "", 400, turns=turns)
    # The title is what the person chose, in the words the page showed; the payload is the choice.
    title = offered[payload]
    return _deliver(title, shown=title, press=payload, before=len(turns))


def _deliver(text: str, shown: str, typed: str = "", trusted: bool = False, press: Optional[str] = None,
             before: Optional[int] = None) -> Any:
    """Send one message to Rasa, then show its replies (JSON), or land on the first of them (a redirect)."""
    rasa = _rasa()
    cid = session["cid"]
    try:
        if before is None and not _wants_json():
            before = len(_turns())  # where the first new reply will be (this also sends the opening)
        else:
            _open_if_needed(rasa)
        replies = rasa.send(cid, text, trusted=trusted, metadata=_metadata(press))
    except RasaUnavailable as problem:
        error = "not_saved" if isinstance(problem, RasaNotSaved) else "rasa_down"
        flag = _flag_from_here(text, press)
        if flag is not None:
            error = _TOLD_THE_TEAM[flag]
        return _failed(error, typed, 503)
    if _wants_json():
        return _json_turns(shown, replies)
    count = int(before or 0)
    anchor = f"turn-{count + 1 if replies else count}"  # the first reply, after the person's own line
    return redirect(url_for(".conversation", _anchor=anchor), code=303)


def _flag_from_here(text: str, press: Optional[str]) -> Optional[str]:
    """Rasa could not take a cry for help: raise its flag and duty alert from here.

    A press of a help button, or typed words that read as danger (clear, or
    the gentle check's "possible": with Rasa down nobody can ask). Returns the
    flag when the team is being told (an alert channel is set up and the
    alert is stored), so the page may say so; None otherwise. The page shows
    999 and the helplines either way.
    """
    if press is not None:
        flag = _FLAG_FOR_PRESS.get(press)
    else:
        flag = c.FLAG_URGENT_SAFETY if reads_as_danger(text) else None
    if flag is None:
        return None
    from bot.store import records

    settings = _settings()
    try:
        alert = records.set_flag(session["cid"], str(session.get("stage") or c.STAGE_OUTCOMES), flag,
                                 settings.alert_channels)
    except Exception:  # noqa: BLE001 (the help on the page must still show)
        logger.exception("could not raise the %s flag while Rasa was down", flag)
        return None
    return flag if alert is not None and settings.alert_channels else None


def _failed(error: str, typed: str, status: int, turns: Optional[List[Turn]] = None) -> Any:
    """The person's text stays in the box, with a kind word on what went wrong."""
    if _wants_json():
        return _json_error(error, status)
    down = error in ("rasa_down",) or error.startswith("down_")
    if turns is None:
        try:
            turns = _turns() if not down else []
        except RasaUnavailable:
            turns, down = [], True
            if error not in _TOLD_THE_TEAM.values():
                error = "not_saved" if error == "not_saved" else "rasa_down"
    return _page(turns, status=status, error=error, typed=typed, rasa_down=down)


def _json_turns(text: str, replies: List[Reply]) -> Response:
    turns = [Turn("person", text)] + [Turn("assistant", r.text, r.buttons) for r in replies]
    buttons = _buttons(turns)
    return jsonify(
        turns_html=render_template("_turns.html", turns=turns, first=None),
        actions_html=render_template("_actions.html", buttons=buttons),
        label=render_template("_label.txt", buttons=buttons).strip(),
        announce=" ".join(r.text for r in replies if r.text),
    )


def _json_error(error: str, status: int) -> Response:
    response = jsonify(error=error, error_html=render_template("_error.html", error=error),
                       announce=render_template("_error_words.txt", error=error).strip())
    response.status_code = status
    return response


# --- leaving ---------------------------------------------------------------------------------------


@chat.post("/leave")
@csrf.exempt  # a stale token must never keep anyone on the page; leaving can only end this browser's chat
def leave() -> Any:
    """End this browser's chat. A beacon (the script's exit) gets 204; the form goes on to the neutral site.

    A quick exit soon after a danger message is worth telling the duty team: it
    is added to that conversation's alert, in the background, so leaving never
    waits on it or fails because of it.
    """
    conversation_id = session.get("cid")
    if conversation_id:
        _note_quick_exit(str(conversation_id))
    session.clear()
    if LeaveForm().exit.data:
        return redirect(_settings().exit_url, code=303)
    return "", 204


def _note_quick_exit(conversation_id: str) -> None:
    from bot.store import alerts

    channels = _settings().alert_channels

    def run() -> None:
        try:
            alerts.note_quick_exit(conversation_id, channels)
        except Exception:  # noqa: BLE001 (leaving must never fail)
            logger.exception("could not note a quick exit on the duty alert")

    threading.Thread(target=run, name="msp-quick-exit", daemon=True).start()
