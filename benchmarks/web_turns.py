"""What the chat page adds to each turn, over calling Rasa's REST channel directly. Prints figures.

    .venv/bin/python benchmarks/web_turns.py [--conversations 20]

Starts the real stack (Rasa, actions, sender, web app) on free ports with
throw-away databases, then plays the same outcomes conversation N times
three ways, one after the other:
- Rasa direct: POST /webhooks/rest/webhook;
- the page with JavaScript: POST /chat asking for JSON (what a browser's fetch does);
- the page without JavaScript: POST /chat, then the redirect to GET /chat,
  which reads the chat so far back from Rasa's tracker.
Per-turn p50 and p95 in milliseconds, and what the page adds at each.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channel_auth import signed_json  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store import db  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.web import invitations  # noqa: E402
from tests.alerts.receivers import free_port  # noqa: E402
from tests.live import start_services  # noqa: E402

TURNS = ["yes", "yes", "no thanks", "I want him to stay away from me", "no that's all", "yes that's right"]


def pct(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def direct(rasa_url: str, token: str, channel_secret: str, n: int) -> List[float]:
    """The opening with the token, then each turn signed, as the web app sends it."""
    times: List[float] = []
    for i in range(n):
        sender = f"bench-direct-{time.monotonic_ns()}-{i}"
        requests.post(f"{rasa_url}/webhooks/rest/webhook", params={"token": token}, timeout=60,
                      json={"sender": sender, "message": '/start{"stage": "outcomes", "role": "person"}'})
        for text in TURNS:
            started = time.perf_counter()
            body, headers = signed_json({"sender": sender, "message": text}, channel_secret)
            response = requests.post(f"{rasa_url}/webhooks/rest/webhook", timeout=60, data=body,
                                     headers=headers)
            response.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def through_page(web_url: str, secret: str, n: int, javascript: bool) -> List[float]:
    times: List[float] = []
    for i in range(n):
        browser = requests.Session()
        invite = invitations.new_invitation(f"BENCH-{int(javascript)}-{i}", "outcomes", "person")
        link = invitations.link(invite, secret, web_url)
        token = _csrf(browser.get(link, timeout=60).text)
        chat = browser.post(link, data={"csrf_token": token}, timeout=60)
        token = _csrf(chat.text)
        for text in TURNS:
            started = time.perf_counter()
            headers = {"Accept": "application/json", "X-CSRFToken": token} if javascript else {}
            response = browser.post(f"{web_url}/chat", data={"message": text, "csrf_token": token},
                                    headers=headers, timeout=60)
            response.raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=20)
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="msp-web-bench-"))
    web_port = free_port()
    settings = load_settings().copy(update={
        "database_url": f"sqlite:///{work / 'records.db'}",
        "tracker_store_url": f"sqlite:///{work / 'tracker.db'}", "rasa_auth_token": "bench-token",
        "rasa_port": free_port(), "actions_port": free_port(), "web_port": web_port,
        "secret_key": "bench-secret-" + "x" * 32, "web_channel_secret": "bench-channel-secret-" + "y" * 32,
        "web_session_dir": str(work / "sessions"),
        "public_base_url": f"http://127.0.0.1:{web_port}", "spool_dir": str(work / "spool"),
        "chat_messages_per_minute": 1000, "duty_alert_webhook_url": "", "duty_alert_email": "",
    })
    upgrade(settings.database_url)
    db.configure(settings.database_url)
    print(f"Starting the stack in {work} ...", flush=True)
    services = start_services(settings, work)
    try:
        ways: List[tuple] = [  # type: ignore[type-arg]
            ("Rasa REST direct",
             lambda: direct(services.rasa_url, settings.rasa_auth_token, settings.web_channel_secret,
                            opts.conversations)),
            ("page, with JavaScript", lambda: through_page(services.web_url, settings.secret_key,
                                                             opts.conversations, True)),
            ("page, without JavaScript", lambda: through_page(services.web_url, settings.secret_key,
                                                                opts.conversations, False)),
        ]
        results = {}
        for label, run in ways:
            measure: Callable[[], List[float]] = run
            measure()  # warm-up round, not counted
            results[label] = measure()
    finally:
        services.stop()
    base = results["Rasa REST direct"]
    print(f"\nPer-turn time, {opts.conversations} conversations x {len(TURNS)} turns each (ms)")
    print(f"  {'':28s} {'p50':>7s} {'p95':>7s}   {'adds p50':>8s} {'adds p95':>8s}")
    for label, times in results.items():
        p50, p95 = statistics.median(times), pct(times, 0.95)
        adds = "" if label == "Rasa REST direct" else (
            f"   {p50 - statistics.median(base):8.1f} {p95 - pct(base, 0.95):8.1f}")
        print(f"  {label:28s} {p50:7.1f} {p95:7.1f}{adds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
