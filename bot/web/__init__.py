"""The web app: the chat page a council sends a person to, and the practitioners' workspace (/review).

One app factory, `create_app(settings)`, built in small named steps: the
settings, server-side sessions, CSRF protection, the templates (our own
beside the GOV.UK Frontend Jinja macros), security headers on every
response, the blueprints, and kind error pages. Nothing is created at import
time, so tests build the app with their own settings and a stub Rasa.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from cachelib.file import FileSystemCache
from flask import Flask, Response, render_template, request, send_from_directory
from flask_session import Session
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.settings import Settings, load_settings
from bot.settings.helplines import load_helplines
from bot.web.limits import limiter_for
from bot.web.rasa_client import RasaClient

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
GOVUK_ASSETS = STATIC / "govuk"

csrf = CSRFProtect()

# No inline script or style anywhere: everything the page runs comes from this server.
# Forms post to this server only, and the exit form's redirect goes on to the neutral
# site: browsers check form-action against a form's redirects too, so its origin is here.
def content_security_policy(exit_url: str) -> str:
    exit_site = urlsplit(exit_url)
    form_action = "form-action 'self'"
    if exit_site.scheme in ("http", "https") and exit_site.netloc:
        form_action += f" {exit_site.scheme}://{exit_site.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            form_action,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Nothing of a conversation may stay in a browser's cache or history.
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def create_app(settings: Optional[Settings] = None, rasa: Optional[RasaClient] = None,
               overrides: Optional[Dict[str, Any]] = None) -> Flask:
    settings = settings or load_settings()
    if not settings.secret_key:
        raise RuntimeError("SECRET_KEY is not set: run `make run` once (it writes one into .env), or set it")
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    _proxies(app, settings)
    _configure(app, settings, overrides or {})
    _templates(app, settings)
    _sessions(app, settings)
    csrf.init_app(app)
    # Every Rasa instance: any of them can serve any conversation at any turn.
    app.extensions["msp.rasa"] = rasa or RasaClient(
        settings.rasa_urls, settings.rasa_auth_token, settings.rasa_timeout_s,
        secret=settings.web_channel_secret,  # signs each person's message (X-MSP-Signature)
    )
    # Counted in Redis on the production path (every web process shares the count), else in memory.
    app.extensions["msp.limiter"] = limiter_for(settings.chat_messages_per_minute, settings.lock_store_url,
                                                settings.lock_key_prefix)
    _headers(app, content_security_policy(settings.exit_url))
    _blueprints(app)
    _errors(app)
    return app


def _proxies(app: Flask, settings: Settings) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, believe their X-Forwarded-For and -Proto that deep.

    Then `request.remote_addr` (what the audit log keeps) is the client's address,
    not nginx's, and `request.is_secure` sees the HTTPS the proxy ended. With 0 (the
    default) the headers are ignored: anyone can send them, so they mean nothing
    without a proxy that sets them.
    """
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]


def _configure(app: Flask, settings: Settings, overrides: Dict[str, Any]) -> None:
    secure = settings.public_base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MSP_SETTINGS=settings,
        SESSION_COOKIE_NAME="msp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=2),
        MAX_CONTENT_LENGTH=64 * 1024,  # a message is at most 2,000 characters
        WTF_CSRF_TIME_LIMIT=None,  # the session bounds it
        WTF_CSRF_SSL_STRICT=secure,
    )
    app.config.update(overrides)


def _templates(app: Flask, settings: Settings) -> None:
    """Our templates first, then the GOV.UK Frontend Jinja macros."""
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            FileSystemLoader(str(HERE / "templates")),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        council_name=settings.council_name,
        council_number=settings.council_contact_number,
        urgent_number=settings.council_urgent_number,
        exit_url=settings.exit_url,
        safety_advice_url=settings.safety_advice_url,
        helplines=load_helplines(settings.helplines_file),  # the same numbers the assistant gives
    )


def _sessions(app: Flask, settings: Settings) -> None:
    """Server-side sessions: the cookie holds a random id; the store holds ids only, never words."""
    Path(settings.web_session_dir).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SESSION_TYPE", "cachelib")
    app.config.setdefault("SESSION_CACHELIB", FileSystemCache(settings.web_session_dir, threshold=20000,
                                                              default_timeout=7200, mode=0o600))
    app.config.setdefault("SESSION_PERMANENT", False)
    app.config.setdefault("SESSION_USE_SIGNER", True)
    app.config.setdefault("SESSION_KEY_PREFIX", "msp:")
    Session(app)


def _headers(app: Flask, policy: str) -> None:
    @app.after_request
    def protect(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def _blueprints(app: Flask) -> None:
    """One blueprint per audience: the person's chat, and the practitioners' workspace at /review."""
    from bot.web.chat import chat
    from bot.web.workspace import review

    app.register_blueprint(chat)
    app.register_blueprint(review)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    # GOV.UK Frontend's CSS asks for its fonts and images under /assets/.
    @app.get("/assets/<path:filename>")
    def govuk_assets(filename: str) -> Response:
        return send_from_directory(GOVUK_ASSETS / "assets", filename)


def _errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple:  # type: ignore[type-arg]
        return render_template("problem.html", problem="form_expired"), 400

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple:  # type: ignore[type-arg]
        return render_template("problem.html", problem="not_found"), 404

    @app.errorhandler(405)
    def wrong_method(_error: Exception) -> tuple:  # type: ignore[type-arg]
        return render_template("problem.html", problem="not_found"), 405

    @app.errorhandler(413)
    def too_big(_error: Exception) -> tuple:  # type: ignore[type-arg]
        return render_template("problem.html", problem="too_long"), 413

    @app.errorhandler(Exception)
    def fault(error: Exception) -> tuple:  # type: ignore[type-arg]
        code = getattr(error, "code", None)
        if isinstance(code, int) and 400 <= code < 500:
            return render_template("problem.html", problem="not_found"), code
        logger.exception("unexpected fault in %s %s", request.method, request.endpoint)
        return render_template("problem.html", problem="fault"), 500
