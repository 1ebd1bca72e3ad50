"""Serve the web app with waitress: `python -m bot.web.serve` (`msp serve` starts it beside Rasa).

Why waitress: a well-kept, pure-Python production WSGI server with threads,
no C build and nothing that clashes with Rasa's pins. It listens on
WEB_HOST:WEB_PORT (127.0.0.1:8000 by default); in production a reverse proxy
with TLS sits in front (deploy/nginx/msp.conf, docs/production.md).
"""

from __future__ import annotations

import logging
import sys

from bot.settings import load_settings


def main() -> int:
    # spaCy without TensorFlow in this process, as in the action server (bot/actions/__init__.py): the
    # danger reader (bot/web/limits.py) needs spaCy; `import spacy` imports thinc, which imports
    # TensorFlow whenever it is installed. Only here, in the web server's own process, never in tests.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    from waitress import serve

    from bot.language.readers import load_readers
    from bot.store.key_check import check_keys
    from bot.web import create_app
    from bot.web.limits import warm_danger_reader

    settings = load_settings()
    try:
        check_keys(settings)  # the workspace shows the person's words: the keys must read them
        app = create_app(settings)
        load_readers()  # the learned readers, for a message over the rate limit (checked at start)
    except RuntimeError as exc:  # EncryptionKeyProblem, ReadersProblem, EmbeddingModelProblem
        print(f"The web app could not start: {exc}", file=sys.stderr)
        return 1
    # Built before the server answers (a few seconds): built in the background it held the GIL while
    # the first requests waited (p95 of /healthz rose from tens of ms to hundreds), and a person in
    # danger over the rate limit must never wait for it either.
    warm_danger_reader().join()
    # Behind TRUSTED_PROXIES proxies the app's ProxyFix reads X-Forwarded-*: waitress must pass them
    # on. With none, waitress drops them, so nobody can pass off an address of their choosing.
    serve(app, host=settings.web_host, port=settings.web_port, threads=8, ident="",
          clear_untrusted_proxy_headers=settings.trusted_proxies == 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
