"""The practitioners' workspace at /review: sign-in, roles, sessions and the audit trail.

Who is signed in comes from Flask-Login (`login_user`, `current_user`,
`login_required`); the checks around it are ours: argon2id, lockout and
throttling (bot/accounts/, gate.py), the audit, a new session id at
sign-in (`login_user` does not rotate it), the idle timeout and the
disabled-account check (the user loader). Sign-in is also required on the
blueprint itself (`before_request`), so a route added here cannot forget it:
without a workspace session every route but the sign-in page sends a GET to
sign in (303) and refuses anything else (401), Flask-Login's unauthorized
handler. Routes for managers only carry `@manager_only` (`login_required`
plus the role; under the route decorator); the blueprint checks that mark
too, so a practitioner gets 403 whichever way round the decorators were
written.

The workspace keeps its own key in the app's server-side session. A person's
chat (keys `cid`, `opening`, `since`) never touches it, and nothing of a chat
session can stand for it. Signing in clears the session and gives it a new
id (no fixation); signing out, or WORKSPACE_IDLE_MINUTES without a request,
ends it at once. Every sign-in, failed sign-in, wait begun and sign-out goes
to the audit log with the address it came from. Failed sign-ins are counted
per address (`request.remote_addr`: the client's, behind TRUSTED_PROXIES
proxies, as bot/web/__init__.py's ProxyFix sets it) and per account, and a try
that must wait gets 429 with Retry-After at once (bot/accounts/lockout.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Optional, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, login_required, login_user, logout_user
from flask_login import current_user as signed_in
from flask_session.base import ServerSideSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed, NotFound

from bot import accounts
from bot.settings import Settings
from bot.store import audit as audit_store
from bot.store import users
from bot.store.models import utcnow
from bot.web.workspace import gate

review = Blueprint("review", __name__, url_prefix="/review")

SESSION_KEY = "review"  # {"id", "email", "role", "seen", "since"}: ids only (Flask-Login keeps "_user_id")
NOTICE_KEY = "review_notice"  # why the last workspace session ended, for the sign-in page
OPEN_ENDPOINTS = frozenset({"review.sign_in"})
HOME = "/review/"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WorkspaceUser:
    """Flask-Login's user: a checked, active account (the loader has made sure)."""

    id: int
    email: str
    role: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_manager(self) -> bool:
        return self.role == users.MANAGER


login_manager = LoginManager()
login_manager.session_protection = None  # our own: a new id at sign-in, the idle timeout, the account check


def _settings() -> Settings:
    return current_app.config["MSP_SETTINGS"]


def now() -> datetime:
    """Naive UTC; tests move the clock with the MSP_CLOCK config value."""
    clock = current_app.config.get("MSP_CLOCK")
    return clock() if clock else utcnow()


def _signed_in_user() -> Optional[WorkspaceUser]:
    """Flask-Login's current user, if one is signed in (loading it runs the idle and account checks)."""
    user = signed_in._get_current_object()
    return user if isinstance(user, WorkspaceUser) else None


def current_user() -> WorkspaceUser:
    """The signed-in practitioner. Every workspace view has one: the blueprint made sure."""
    user = _signed_in_user()
    if user is None:
        raise RuntimeError("current_user() outside a signed-in workspace request")
    return user


def audit(action: str, detail: str) -> None:
    """Write to the audit log as the signed-in practitioner, from this request's address.

    The detail holds references and ids (enquiry=..., conversation=...), never a person's words.
    """
    audit_store.record(current_user().email, action, detail, request.remote_addr)


def manager_only(view: F) -> F:
    """`login_required`, and only managers: a practitioner gets 403. Put it under the route decorator."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user().is_manager:
            return _problem("managers_only", 403)
        return view(*args, **kwargs)

    wrapper = login_required(wrapper)

    # Marked on both: the blueprint's check finds whichever one the route registered.
    view.manager_only = True  # type: ignore[attr-defined]
    wrapper.manager_only = True  # type: ignore[attr-defined]
    return cast(F, wrapper)


# --- the session -------------------------------------------------------------------------------


def _regenerate() -> None:
    """A new session id for what the session holds now; the old one is deleted from the store."""
    cast(ServerSideSessionInterface, current_app.session_interface).regenerate(session)


def _start_session(user: users.UserView) -> WorkspaceUser:
    """Nothing from before sign-in is kept (a chat, a CSRF token), and the id is new: no fixation."""
    moment = now().isoformat()
    session.clear()
    session[SESSION_KEY] = {"id": user.id, "email": user.email, "role": user.role, "seen": moment,
                            "since": moment}
    signed = WorkspaceUser(user.id, user.email, user.role)
    login_user(signed)
    session.pop("_id", None)  # Flask-Login's hash of address and browser, for protection we do not use
    _regenerate()  # login_user keeps the session id it was given
    return signed


def _end_session(notice: Optional[str] = None) -> None:
    """The old id is deleted from the store and the cookie is dropped; only a notice may follow."""
    _regenerate()
    session.clear()
    if notice:
        session[NOTICE_KEY] = notice


def _parse(moment: Any) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(str(moment))
    except ValueError:
        return None


def _in_workspace() -> bool:
    return request.path == "/review" or request.path.startswith("/review/")


@login_manager.user_loader
def _session_user(user_id: str) -> Optional[WorkspaceUser]:
    """The workspace session's user, if it is still good: not idle too long, the account still active.

    Only in the workspace: the chat's pages (Flask-Login's template context asks
    on every page) neither see a workspace user nor keep its session alive.
    """
    data = session.get(SESSION_KEY)
    if not _in_workspace() or not isinstance(data, dict) or str(data.get("id")) != user_id:
        return None
    moment = now()
    seen = _parse(data.get("seen"))
    idle = timedelta(minutes=_settings().workspace_idle_minutes)
    email = str(data.get("email") or "-")
    if seen is None or moment - seen > idle:
        audit_store.record(email, "sign_out", f"user={data.get('id')} reason=idle", request.remote_addr)
        _end_session("idle")
        return None
    account = users.get_user(int(data.get("id") or 0))
    if account is None or not account.active:
        audit_store.record(email, "sign_out", f"user={data.get('id')} reason=disabled", request.remote_addr)
        _end_session()
        return None
    session[SESSION_KEY] = {**data, "seen": moment.isoformat(), "role": account.role}
    return WorkspaceUser(id=account.id, email=account.email, role=account.role)


def _problem(problem: str, status: int) -> Any:
    return render_template("review/problem.html", problem=problem), status


def _here() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def _safe_next(raw: Optional[str]) -> str:
    """Back to where they were going, but only ever to a workspace page on this site."""
    raw = (raw or "").strip()
    parts = urlsplit(raw)
    if (not raw or parts.scheme or parts.netloc or raw.startswith("//") or "\\" in raw
            or any(ord(ch) < 32 for ch in raw)
            or not (parts.path == "/review" or parts.path.startswith("/review/"))
            or parts.path.rstrip("/") == "/review/sign-in"):
        return HOME
    return raw


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    """Not signed in: a GET goes to sign in (and back after), anything else is refused."""
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("review.sign_in", next=_here()), code=303)
    return _problem("signed_out", 401)


@review.before_request
def require_sign_in() -> Any:
    user = _signed_in_user()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if user is None:
        return login_manager.unauthorized()
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "manager_only", False) and not user.is_manager:
        return _problem("managers_only", 403)
    return None


@review.context_processor
def workspace_context() -> Dict[str, Any]:
    return {"workspace_user": _signed_in_user(),
            "idle_minutes": _minutes(_settings().workspace_idle_minutes)}


def _minutes(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --- signing in and out ------------------------------------------------------------------------


def _sign_in_page(errors: Dict[str, str], email: str, target: str, status: int = 200) -> Any:
    """The sign-in page; `errors` are the form's, or the answer of the check (wrong, disabled)."""
    notice = session.pop(NOTICE_KEY, None) if request.method == "GET" else None
    page = render_template("review/sign_in.html", errors=errors, email=email, next=target, notice=notice)
    return page, status


@review.record_once
def _install_gate(state: Any) -> None:
    """Flask-Login on the app; most tries that must wait are answered before Flask does any work (gate.py)."""
    login_manager.init_app(state.app)
    gate.install(state.app)


@review.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """A POST has passed the gate: it holds one of this process's check slots, and its address may try."""
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if _signed_in_user() is not None:
            return redirect(target, code=303)
        return _sign_in_page({}, "", target)
    return _check_sign_in(target)


def _check_sign_in(target: str) -> Any:
    from bot.web.workspace.forms import SignInForm, errors

    form = SignInForm()
    email, password = form.email.data or "", form.password.data or ""
    if not form.validate():
        return _sign_in_page(errors(form), email, target, 400)

    address = request.remote_addr
    result = accounts.sign_in(email, password, address, now(), _settings())
    if result.ok and result.user is not None:
        _start_session(result.user)
        audit_store.record(result.user.email, "sign_in", f"user={result.user.id} role={result.user.role}",
                           address)
        return redirect(target, code=303)
    if result.status == accounts.THROTTLED:
        # Nothing was checked, so nothing is audited: a flood of tries cannot flood the audit log.
        return gate.wait_page(result.retry_after)
    typed = users.normalise_email(email)[:audit_store.ACTOR_MAX]
    audit_store.record(typed, "sign_in_failed", f"result={result.status}", address)
    for scope, failures, until in result.began:
        audit_store.record(typed, "sign_in_blocked",
                           f"scope={scope} failures={failures} until={until.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                           address)
    if result.status == accounts.DISABLED:
        disabled = "This account cannot be used any more. Ask your manager if you need one"
        return _sign_in_page({"email": disabled}, email, target, 401)
    if result.retry_after:
        return gate.wait_page(result.retry_after)
    return _sign_in_page({"email": "The email or password is not right"}, email, target, 401)


@review.post("/sign-out")
def sign_out() -> Any:
    from bot.web.workspace.forms import ActionForm

    if not ActionForm().validate():
        return _problem("bad_request", 400)
    user = current_user()
    audit("sign_out", f"user={user.id} reason=signed_out")
    logout_user()
    _end_session("signed_out")
    return redirect(url_for("review.sign_in"), code=303)


# --- workspace errors get workspace pages ------------------------------------------------------


@review.errorhandler(CSRFError)
def form_expired(_error: CSRFError) -> Any:
    return _problem("form_expired", 400)


@review.errorhandler(400)
def bad_request(_error: Exception) -> Any:
    return _problem("bad_request", 400)


@review.errorhandler(403)
def forbidden(_error: Exception) -> Any:
    return _problem("managers_only", 403)


@review.errorhandler(404)
def not_found(_error: Exception) -> Any:
    return _problem("not_found", 404)


@review.before_app_request
def routing_problem() -> Any:
    """A /review address that no route has (404), or a route asked the wrong way (405): workspace pages.

    Flask hands routing errors to the app's handlers (the chat's pages), never
    to a blueprint's, so the workspace answers its own before they are raised.
    """
    problem = request.routing_exception
    if not isinstance(problem, (NotFound, MethodNotAllowed)):
        return None
    if not (request.path == "/review" or request.path.startswith("/review/")):
        return None
    user = _signed_in_user()
    if isinstance(problem, MethodNotAllowed):
        page = render_template("review/problem.html", problem="wrong_method", workspace_user=user)
        return page, 405, {"Allow": ", ".join(sorted(problem.valid_methods or ()))}
    return render_template("review/problem.html", problem="not_found", workspace_user=user), 404


# The views (bot/web/workspace/views/: one module per section) register their routes on `review` when
# imported; they need the names above, so they come last.
from bot.web.workspace import views  # noqa: E402,F401
