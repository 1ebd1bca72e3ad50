"""A check-in link (`msp invite --stage checkin`) and chat: made for an enquiry, kindly refused without one."""

from __future__ import annotations

import pytest

from bot import constants as c
from bot.cli import main as cli
from bot.store import invitations as invitation_store
from bot.web import invitations

SECRET = "a-test-secret-key-long-enough-for-signing"


def test_a_check_in_invitation_needs_an_enquiry_reference() -> None:
    made = invitations.new_invitation("NR-2026-0042", c.STAGE_CHECKIN, c.ROLE_PERSON)
    read = invitations.read(invitations.sign(made, SECRET), SECRET, 14)
    assert (read.enquiry_ref, read.stage) == ("NR-2026-0042", c.STAGE_CHECKIN)
    for missing in ("", "   "):
        with pytest.raises(ValueError, match="check-in needs the enquiry reference"):
            invitations.new_invitation(missing, c.STAGE_CHECKIN, c.ROLE_PERSON)


def test_msp_invite_makes_a_check_in_link(record_db: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://chat.example.gov.uk")
    assert cli.main(["invite", "--enquiry", "NR-2026-0042", "--stage", "checkin"]) == 0
    link = capsys.readouterr().out.strip()
    assert invitations.read(link.rsplit("/", 1)[1], SECRET, 14).stage == c.STAGE_CHECKIN
    assert [(i.enquiry_ref, i.stage) for i in invitation_store.list_invitations()] == [
        ("NR-2026-0042", c.STAGE_CHECKIN)]
    assert cli.main(["invite", "--enquiry", " ", "--stage", "checkin"]) == 2
    assert "check-in needs the enquiry reference" in capsys.readouterr().err


def test_msp_chat_refuses_a_check_in_without_an_enquiry(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "--stage", "checkin"]) == 2
    assert "check-in needs the enquiry reference" in capsys.readouterr().err
