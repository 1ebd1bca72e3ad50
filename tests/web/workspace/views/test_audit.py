"""The audit log is for managers; pages the workspace does not have are workspace pages."""

from __future__ import annotations

from typing import Any


def test_audit_log_is_for_managers(client: Any) -> None:
    assert client.get("/review/audit").status_code == 403


def test_workspace_404_and_405_are_workspace_pages(client: Any) -> None:
    missing = client.get("/review/no-such-page")
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Page not found" in text and "Safeguarding workspace" in text and "Sign out" in text
    wrong = client.get("/review/alerts/1/acknowledge")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    text = wrong.get_data(as_text=True)
    assert "This address is for a button in the workspace" in text and "Safeguarding workspace" in text
    chat = client.get("/no-such-page")
    assert chat.status_code == 404 and "Safeguarding workspace" not in chat.get_data(as_text=True)
