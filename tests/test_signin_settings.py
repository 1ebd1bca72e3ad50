"""The sign-in settings: their defaults, their checks, and the retired names said out loud."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import load_settings

NAMES = ("SIGNIN_WINDOW_MINUTES", "SIGNIN_ADDRESS_FAILURES", "SIGNIN_ACCOUNT_FAILURES", "SIGNIN_WAIT_MINUTES",
         "SIGNIN_WAIT_MAX_MINUTES", "SIGNIN_CONCURRENT_CHECKS", "SIGNIN_MAX_FAILURES", "SIGNIN_LOCK_MINUTES",
         "SIGNIN_DELAY_S")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def _load(tmp_path: Path) -> object:
    return load_settings(tmp_path / "no.env")


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "no.env")
    assert (settings.signin_window_minutes, settings.signin_address_failures, settings.signin_account_failures,
            settings.signin_wait_minutes, settings.signin_wait_max_minutes,
            settings.signin_concurrent_checks) == (15.0, 10, 20, 1.0, 15.0, 1)
    env = settings.as_env()
    assert env["SIGNIN_ADDRESS_FAILURES"] == "10" and env["SIGNIN_WAIT_MAX_MINUTES"] == "15.0"
    assert not any(name in env for name in ("SIGNIN_MAX_FAILURES", "SIGNIN_LOCK_MINUTES", "SIGNIN_DELAY_S"))


@pytest.mark.parametrize("name, value", [("SIGNIN_ADDRESS_FAILURES", "0"), ("SIGNIN_CONCURRENT_CHECKS", "0"),
                                         ("SIGNIN_WAIT_MINUTES", "0"), ("SIGNIN_WINDOW_MINUTES", "-1"),
                                         ("SIGNIN_ACCOUNT_FAILURES", "many")])
def test_values_that_would_switch_the_waits_off_are_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=name):
        _load(tmp_path)


def test_a_retired_name_is_said_to_do_nothing_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SIGNIN_LOCK_MINUTES", "30")
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        _load(tmp_path)
    assert "SIGNIN_LOCK_MINUTES is set but no longer used" in caplog.text
