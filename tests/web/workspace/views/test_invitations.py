"""Invitations make a signed link, and each form error is the form's own, at its field."""

from __future__ import annotations

from typing import Any

from bot.store import audit as audit_store
from tests.web.workspace.views.helpers import actions, csrf


def test_invitations_make_a_signed_link(client: Any) -> None:
    token = csrf(client.get("/review/invitations").get_data(as_text=True))
    page = client.post("/review/invitations", data={"enquiry": "NR-2026-0042", "stage": "review",
                                                    "role": "advocate", "csrf_token": token}).get_data(as_text=True)
    assert "https://chat.example.gov.uk/start/" in page and "Copy the link" in page
    assert "invite" in actions()
    bad = client.post("/review/invitations", data={"enquiry": "", "stage": "review", "role": "advocate",
                                                   "csrf_token": token})
    assert bad.status_code == 400 and "There is a problem" in bad.get_data(as_text=True)


def test_each_form_error_is_the_forms_own_and_sits_at_its_field(client: Any) -> None:
    """The words and the field of each error come from the form (bot/web/workspace/forms.py)."""
    token = csrf(client.get("/review/invitations").get_data(as_text=True))
    no_ref = client.post("/review/invitations", data={"enquiry": " ", "stage": "review", "role": "advocate",
                                                      "csrf_token": token}).get_data(as_text=True)
    assert "Enter an enquiry reference, like NR-2026-0042" in no_ref and 'id="enquiry-error"' in no_ref
    no_role = client.post("/review/invitations", data={"enquiry": "NR-1", "stage": "review", "role": "boss",
                                                       "csrf_token": token})
    assert no_role.status_code == 400
    assert "Choose who the link is for and what it is for" in no_role.get_data(as_text=True)
    assert 'id="enquiry-error"' not in no_role.get_data(as_text=True), "the reference was right"
    export = client.get("/review/export/download?format=xml&from=yesterday&to=%202026-04-01%20")
    html = export.get_data(as_text=True)
    assert "Choose CSV or JSON" in html and 'href="#from"' in html and 'href="#format"' in html
    assert "Enter the date as year, month and day, like 2026-04-01" in html and 'href="#to"' not in html
    report = client.get("/review/report?to=2026-02-30").get_data(as_text=True)
    assert 'href="#to"' in report and 'href="#from"' not in report


def test_a_check_in_link_is_made_for_an_enquiry_and_refused_without_one(client: Any) -> None:
    page = client.get("/review/invitations").get_data(as_text=True)
    assert 'value="checkin"' in page and "Check-in" in page
    token = csrf(page)
    made = client.post("/review/invitations", data={"enquiry": "NR-2026-0042", "stage": "checkin",
                                                     "role": "person", "csrf_token": token})
    assert made.status_code == 200 and "https://chat.example.gov.uk/start/" in made.get_data(as_text=True)
    assert any(e.action == "invite" and "stage=checkin" in (e.detail or "")
               for e in audit_store.list_events(per_page=50).items)
    none = client.post("/review/invitations", data={"enquiry": "", "stage": "checkin", "role": "person",
                                                    "csrf_token": token})
    assert none.status_code == 400
    assert "Enter the enquiry reference the check-in is for" in none.get_data(as_text=True)
