"""Every workspace page renders for a signed-in practitioner, and what it does is audited (no Rasa)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List

import pytest

from bot import constants as c
from bot.settings import load_settings
from bot.store import audit as audit_store
from bot.store import records, users
from bot.web import create_app

SECRET = "test-secret-key-" + "p" * 40
PASSWORD = "kettle-sunflower-march"
WHO = "pat@example.org"


@pytest.fixture
def client(record_db: str, tmp_path: Path) -> Any:
    settings = replace(load_settings(), database_url=record_db, secret_key=SECRET,
                       tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}",
                       web_session_dir=str(tmp_path / "sessions"), signin_delay_s=0.0,
                       duty_alert_webhook_url="http://127.0.0.1:9/hook",
                       public_base_url="https://chat.example.gov.uk")
    users.add_user(WHO, PASSWORD, users.PRACTITIONER, settings)
    app = create_app(settings, overrides={"TESTING": True})
    browser = app.test_client()
    token = _csrf(browser.get("/review/sign-in").get_data(as_text=True))
    response = browser.post("/review/sign-in", data={"email": WHO, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return browser


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _actions() -> List[str]:
    return [e.action for e in audit_store.list_events(per_page=200).items]


def _a_conversation() -> str:
    records.start_conversation("conv-9", c.STAGE_OUTCOMES, "NR-9", "person")
    records.add_outcomes("conv-9", c.STAGE_OUTCOMES, [(c.FEEL_SAFER, "for him to stop shouting")])
    records.set_flag("conv-9", c.STAGE_OUTCOMES, c.FLAG_URGENT_SAFETY, ("webhook",))
    return "conv-9"


def test_urgent_alerts_come_first_and_can_be_acknowledged(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/").get_data(as_text=True)
    assert "Urgent safety" in page and "NR-9" in page and "waiting" in page
    token = _csrf(page)
    alert_id = re.search(r"/review/alerts/(\d+)/acknowledge", page).group(1)  # type: ignore[union-attr]
    assert client.post(f"/review/alerts/{alert_id}/acknowledge", data={"csrf_token": token}).status_code == 303
    assert "There are no open alerts" in client.get("/review/").get_data(as_text=True)
    assert "acknowledge" in _actions()


def test_enquiries_list_searches_and_filters(client: Any) -> None:
    _a_conversation()
    records.start_conversation("conv-10", c.STAGE_OUTCOMES, "XY-1", "person")
    page = client.get("/review/enquiries?q=nr").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    page = client.get("/review/enquiries?flag=urgent_safety").get_data(as_text=True)
    assert "NR-9" in page and "XY-1" not in page
    assert client.get("/review/enquiries?page=banana&status=nonsense").status_code == 200


def test_a_conversation_shows_the_record_and_a_code_can_be_corrected(client: Any) -> None:
    cid = _a_conversation()
    page = client.get(f"/review/conversations/{cid}").get_data(as_text=True)
    assert "for him to stop shouting" in page and "Urgent safety" in page
    token = _csrf(page)
    response = client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                           data={"code": c.ABUSER_STAYS_AWAY, "csrf_token": token})
    assert response.status_code == 303
    (record,) = [r for r in records.export_records() if r["conversation_id"] == cid]
    assert record["outcomes"][0]["code"] == c.ABUSER_STAYS_AWAY
    assert record["outcomes"][0]["own_words"] == "for him to stop shouting", "the words never change"
    assert record["corrections"][0]["from_code"] == c.FEEL_SAFER and record["corrections"][0]["by"] == WHO
    assert {"view", "correct"} <= set(_actions())
    assert client.post(f"/review/conversations/{cid}/outcomes/outcomes/0",
                       data={"code": "made_up", "csrf_token": token}).status_code == 400
    assert client.get("/review/conversations/nobody").status_code == 404


def test_invitations_make_a_signed_link(client: Any) -> None:
    token = _csrf(client.get("/review/invitations").get_data(as_text=True))
    page = client.post("/review/invitations", data={"enquiry": "NR-2026-0042", "stage": "review",
                                                    "role": "advocate", "csrf_token": token}).get_data(as_text=True)
    assert "https://chat.example.gov.uk/start/" in page and "Copy the link" in page
    assert "invite" in _actions()
    bad = client.post("/review/invitations", data={"enquiry": "", "stage": "review", "role": "advocate",
                                                   "csrf_token": token})
    assert bad.status_code == 400 and "There is a problem" in bad.get_data(as_text=True)


def test_export_streams_the_contract_and_is_audited(client: Any) -> None:
    _a_conversation()
    response = client.get("/review/export/download?format=json&enquiry=NR-9")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data: List[Dict[str, Any]] = json.loads(response.get_data(as_text=True))
    assert data[0]["contract"] == 2 and data[0]["enquiry_ref"] == "NR-9"
    csv = client.get("/review/export/download?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("conversation_id,")
    assert _actions().count("export") == 2
    assert client.get("/review/export/download?format=xml&from=yesterday").status_code == 400


def test_report_page_and_chart(client: Any) -> None:
    _a_conversation()
    page = client.get("/review/report?from=2020-01-01&to=2030-12-31").get_data(as_text=True)
    assert "Asked what they wanted (SG4a)" in page and "Outcomes achieved (SG4a)" in page
    chart = client.get("/review/report/chart.png?from=2020-01-01&to=2030-12-31")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/review/report?from=2026-13-45").status_code == 400
    assert "report" in _actions()


def test_audit_log_is_for_managers(client: Any) -> None:
    assert client.get("/review/audit").status_code == 403
