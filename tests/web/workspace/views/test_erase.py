"""The workspace's erase page: managers only, CSRF, the reference typed back, then everything goes (no Rasa)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Tuple

import pytest

from bot import accounts
from bot.settings import load_settings
from bot.store import audit, records, users
from bot.web import create_app
from tests.privacy_data import event_senders, make_enquiry, make_tracker, mentions, scan

SECRET = "test-secret-key-" + "e" * 40
PASSWORD = "kettle-sunflower-march"
PRACTITIONER = "pat@example.org"
MANAGER = "mo@example.org"


@pytest.fixture
def tracker(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    make_tracker(url)
    return url


@pytest.fixture
def app(record_db: str, tracker: str, tmp_path: Path) -> Any:
    settings = load_settings().copy(update={"database_url": record_db, "secret_key": SECRET, "tracker_store_url": tracker,
                                            "web_session_dir": str(tmp_path / "sessions")})
    accounts.add_user(PRACTITIONER, PASSWORD, users.PRACTITIONER, settings)
    accounts.add_user(MANAGER, PASSWORD, users.MANAGER, settings)
    return create_app(settings, overrides={"TESTING": True})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _signed_in(app: Any, email: str) -> Tuple[Any, str]:
    client = app.test_client()
    token = _csrf(client.get("/review/sign-in").get_data(as_text=True))
    response = client.post("/review/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return client, _csrf(client.get("/review/enquiries").get_data(as_text=True))


def test_only_managers_see_the_link_and_may_use_the_page(app: Any, tracker: str) -> None:
    enquiry = make_enquiry(tracker, "web")
    practitioner, token = _signed_in(app, PRACTITIONER)
    page = practitioner.get(f"/review/conversations/{enquiry.outcomes_id}").get_data(as_text=True)
    assert "Erase this enquiry" not in page and "/review/erase" not in page
    assert practitioner.get(f"/review/erase?enquiry={enquiry.ref}").status_code == 403
    refused = practitioner.post("/review/erase", data={"enquiry": enquiry.ref, "confirm": enquiry.ref,
                                                       "csrf_token": token})
    assert refused.status_code == 403
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2

    manager, _ = _signed_in(app, MANAGER)
    page = manager.get(f"/review/conversations/{enquiry.outcomes_id}").get_data(as_text=True)
    assert re.search(rf'href="/review/erase\?enquiry={re.escape(enquiry.ref)}"[^>]*>\s*Erase this enquiry', page)


def test_the_confirmation_page_shows_counts_and_a_warning(app: Any, tracker: str) -> None:
    enquiry = make_enquiry(tracker, "confirm")
    manager, _ = _signed_in(app, MANAGER)
    response = manager.get(f"/review/erase?enquiry={enquiry.ref}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Workspace – Erase this enquiry</title>" in html
    assert "govuk-warning-text" in html and "cannot be undone" in html
    for words in ("2 conversation records", "4 wishes", "1 code correction", "1 duty alert",
                  "1 invitation", "7 transcript events"):
        assert words in html, words
    assert re.search(r'<button[^>]*class="govuk-button govuk-button--warning"[^>]*>\s*Erase\s*</button>', html)
    assert 'name="csrf_token"' in html and 'name="confirm"' in html
    assert not any(word in html for word in enquiry.words), "the page shows counts, never words"
    assert "<script>" not in html and "style=" not in html
    assert manager.get("/review/erase").status_code == 400
    assert manager.get(f"/review/erase?enquiry={enquiry.ref}&conversation=x").status_code == 400
    assert manager.get("/review/erase?enquiry=NO-SUCH-REF").status_code == 404


def test_erasing_needs_csrf_and_the_reference_typed_back(app: Any, tracker: str) -> None:
    enquiry = make_enquiry(tracker, "post")
    kept = make_enquiry(tracker, "kept")
    manager, token = _signed_in(app, MANAGER)

    no_token = manager.post("/review/erase", data={"enquiry": enquiry.ref, "confirm": enquiry.ref})
    assert no_token.status_code == 400
    wrong = manager.post("/review/erase", data={"enquiry": enquiry.ref, "confirm": "NR-1", "csrf_token": token})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "There is a problem" in html and f"Type the enquiry reference, {enquiry.ref}" in html
    assert len(records.export_records(enquiry_ref=enquiry.ref)) == 2 and not audit.list_events(action="erase").items

    done = manager.post("/review/erase", data={"enquiry": enquiry.ref, "confirm": f" {enquiry.ref} ",
                                               "csrf_token": token})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "govuk-panel--confirmation" in html and re.search(r'govuk-panel__title">\s*Erased\s*<', html)
    assert "2 conversation records" in html
    left = mentions(scan(app.config["MSP_SETTINGS"].database_url),
                    [enquiry.ref, enquiry.outcomes_id, enquiry.review_id, *enquiry.words])
    assert list(left) == ["audit_events"]
    assert mentions(scan(tracker), [enquiry.outcomes_id, enquiry.review_id, *enquiry.words]) == {}
    assert len(records.export_records(enquiry_ref=kept.ref)) == 2 and kept.outcomes_id in event_senders(tracker)
    (entry,) = audit.list_events(action="erase").items
    assert entry.actor == MANAGER and entry.address == "127.0.0.1" and enquiry.ref in (entry.detail or "")
    assert manager.get(f"/review/erase?enquiry={enquiry.ref}").status_code == 404, "nothing left to erase"


def test_a_conversation_without_a_reference_is_erased_with_a_ticked_box(app: Any, tracker: str) -> None:
    records.start_conversation("conv-no-ref", "outcomes")
    records.add_outcomes("conv-no-ref", "outcomes", [("feel_safer", "for the noise to stop")])
    manager, token = _signed_in(app, MANAGER)
    page = manager.get("/review/conversations/conv-no-ref").get_data(as_text=True)
    assert 'href="/review/erase?conversation=conv-no-ref"' in page and "Erase this conversation" in page
    form = manager.get("/review/erase?conversation=conv-no-ref").get_data(as_text=True)
    assert 'type="checkbox"' in form and 'name="confirm"' in form
    unticked = manager.post("/review/erase", data={"conversation": "conv-no-ref", "csrf_token": token})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    ticked = manager.post("/review/erase", data={"conversation": "conv-no-ref", "confirm": "yes",
                                                 "csrf_token": token})
    assert ticked.status_code == 200 and "Erased" in ticked.get_data(as_text=True)
    assert records.get_record("conv-no-ref", "outcomes") is None
