"""`msp user` and `msp audit`: accounts from the terminal, every change audited as the OS user."""

from __future__ import annotations

import getpass
import io
import json
from typing import Any, List

import pytest

from bot import accounts
from bot.cli import main as cli
from bot.store import audit, users

PASSWORD = "kettle-sunflower-march"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _actions() -> List[str]:
    return [f"{e.actor} {e.action} {e.detail}" for e in reversed(audit.list_events().items)]


def test_user_add_reads_one_line_from_a_pipe_and_is_audited(
    record_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "Ann@Example.org", "--role", "manager"]) == 0
    assert "Added ann@example.org (manager)" in capsys.readouterr().out
    (user,) = users.list_users()
    assert user.email == "ann@example.org" and user.role == "manager"
    assert _actions() == [f"{getpass.getuser()} user_add user={user.id} email=ann@example.org role=manager"]
    assert PASSWORD not in json.dumps(_actions())


def test_user_add_asks_twice_at_a_terminal(
    record_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal())
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["user", "add", "ann@example.org", "--role", "practitioner"]) == 2
    assert "not the same" in capsys.readouterr().err and users.list_users() == []
    answers = iter([PASSWORD, PASSWORD])
    assert cli.main(["user", "add", "ann@example.org", "--role", "practitioner"]) == 0


def test_user_add_refuses_weak_passwords_and_duplicates(
    record_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Password2024!\n"))
    assert cli.main(["user", "add", "ann@example.org", "--role", "manager"]) == 2
    assert "too common" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "ann@example.org", "--role", "manager"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "add", "ANN@example.org", "--role", "manager"]) == 2
    assert "already an account" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["user", "add", "bob@example.org", "--role", "admin"])
    assert [a.split()[1] for a in _actions()] == ["user_add"]


def test_user_disable_list_and_password(
    record_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["user", "list"]) == 0
    assert "There are no accounts" in capsys.readouterr().out
    accounts.add_user("ann@example.org", PASSWORD, "practitioner")
    assert cli.main(["user", "disable", "ann@example.org"]) == 0
    assert cli.main(["user", "disable", "nobody@example.org"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-phrase-here\n"))
    assert cli.main(["user", "password", "ann@example.org"]) == 0
    capsys.readouterr()
    assert cli.main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "ann@example.org" in out and "no (disabled)" in out and "never" in out
    assert [a.split()[1] for a in _actions()] == ["user_disable", "user_password"]


def test_audit_lists_newest_first_with_filters_and_json(
    record_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    audit.record("ann@example.org", "sign_in", "user=1 role=manager", "10.0.0.1")
    audit.record("ann@example.org", "export", "format=csv enquiry=*", "10.0.0.1")
    audit.record("root", "user_add", "user=2 email=bob@example.org role=practitioner")
    assert cli.main(["audit"]) == 0
    out = capsys.readouterr().out
    assert out.index("user_add") < out.index("export") < out.index("sign_in")
    assert "3 of 3 entries" in out
    assert cli.main(["audit", "--actor", "ANN@example.org", "--limit", "1", "--format", "json"]) == 0
    rows: Any = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["address"]) for r in rows] == [("export", "10.0.0.1")]
    assert cli.main(["audit", "--action", "nothing_like_it"]) == 0
    assert "No audit entries match" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["audit", "--limit", "0"])


def test_user_unlock_clears_an_account_or_an_address_and_is_audited_as_the_os_user(
    record_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.store.models import utcnow

    user = accounts.add_user("ann@example.org", PASSWORD, "practitioner")
    now = utcnow()
    for _ in range(10):
        accounts.sign_in("ann@example.org", "wrong-guess", "203.0.113.9", now)
    assert accounts.sign_in("ann@example.org", PASSWORD, "203.0.113.9", now).status == accounts.THROTTLED
    assert cli.main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.9" in out and "waits until" in out
    assert cli.main(["user", "unlock", "--address", "203.0.113.9"]) == 0
    assert "Cleared 10 failed sign-in(s) for 203.0.113.9" in capsys.readouterr().out
    assert cli.main(["user", "unlock", "ANN@example.org"]) == 0
    assert "Cleared 10 failed sign-in(s) for ann@example.org" in capsys.readouterr().out
    assert cli.main(["user", "unlock", "ann@example.org"]) == 0
    assert "There were no failed sign-ins to clear for ann@example.org" in capsys.readouterr().out
    assert cli.main(["user", "unlock", "nobody@example.org"]) == 2
    assert "no account" in capsys.readouterr().err
    me = getpass.getuser()
    address, account = _actions()
    assert address.startswith(f"{me} sign_in_unlock scope=address address=203.0.113.9 failures=10 waiting_until=20")
    assert account == f"{me} sign_in_unlock scope=account user={user.id} email=ann@example.org failures=10 waiting_until=-"
    assert accounts.sign_in("ann@example.org", PASSWORD, "203.0.113.9", now).ok
    with pytest.raises(SystemExit):
        cli.main(["user", "unlock"])
    with pytest.raises(SystemExit):
        cli.main(["user", "unlock", "ann@example.org", "--address", "203.0.113.9"])
