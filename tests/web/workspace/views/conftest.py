"""Fixtures of the workspace's view tests: a signed-in practitioner's client, and the tracker store it reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import accounts
from bot.settings import load_settings
from bot.store import users
from bot.web import create_app
from tests.privacy_data import make_tracker
from tests.web.workspace.views.helpers import PASSWORD, SECRET, WHO, csrf


@pytest.fixture
def client(record_db: str, tmp_path: Path) -> Any:
    settings = load_settings().copy(update={"database_url": record_db, "secret_key": SECRET,
                                            "tracker_store_url": f"sqlite:///{tmp_path / 'tracker.db'}",
                                            "web_session_dir": str(tmp_path / "sessions"),
                                            "duty_alert_webhook_url": "http://127.0.0.1:9/hook",
                                            "public_base_url": "https://chat.example.gov.uk"})
    accounts.add_user(WHO, PASSWORD, users.PRACTITIONER, settings)
    app = create_app(settings, overrides={"TESTING": True})
    browser = app.test_client()
    token = csrf(browser.get("/review/sign-in").get_data(as_text=True))
    response = browser.post("/review/sign-in", data={"email": WHO, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return browser


@pytest.fixture
def tracker(tmp_path: Path) -> str:
    """The tracker store the client's app reads (the same file)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(url)
    return url
