"""Advocacy in the workspace: the list of records needing a decision, recording one (audited), and the
warning on a conversation answered by an advocate or family member."""

from __future__ import annotations

from typing import Any

from bot import constants as c
from bot.store import advocacy, audit, records
from tests.web.workspace.views.helpers import WHO, actions, csrf

S = c.STAGE_OUTCOMES
DECIDE = "/review/advocacy/conv-hard/outcomes"


def _struggling(cid: str = "conv-hard", ref: str = "NR-H", role: str = c.ROLE_PERSON) -> None:
    records.start_conversation(cid, S, ref, role)
    records.add_outcomes(cid, S, [(c.FEEL_SAFER, "the words marmalade xylophone")])
    advocacy.note_difficulty(cid, S, [c.DIFFICULTY_READING, c.DIFFICULTY_NOT_UNDERSTOOD], offered=True)


def test_the_list_shows_what_needs_a_decision_in_plain_words_and_no_words_of_theirs(client: Any) -> None:
    assert "No records need an advocacy decision." in client.get("/review/advocacy").get_data(as_text=True)
    _struggling()
    records.start_conversation("conv-asked", S, "NR-A", c.ROLE_PERSON)
    records.set_flag("conv-asked", S, c.FLAG_ADVOCACY_REQUESTED)
    page = client.get("/review/advocacy").get_data(as_text=True)
    waiting = page[page.index('id="waiting"'):]
    assert "Said reading is hard" in waiting and "Said again and again that they did not understand" in waiting
    assert "Asked for an advocate" in waiting and "NR-A" in waiting and "NR-H" in waiting
    assert f'href="{DECIDE}"' in waiting and "Not answered" in waiting  # offered, no answer yet
    assert "marmalade" not in page
    assert 'href="/review/advocacy"' in page  # in the navigation


def test_a_referral_is_recorded_audited_and_leaves_the_list(client: Any) -> None:
    _struggling()
    form = client.get(DECIDE).get_data(as_text=True)
    assert "Signs the assistant noticed" in form and "Said reading is hard" in form
    response = client.post(DECIDE, data={"csrf_token": csrf(form), "decision": c.ADVOCACY_REFERRED,
                                         "referred_on": "2026-12-01", "organisation": "POhWER"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/advocacy")
    page = client.get("/review/advocacy").get_data(as_text=True)
    assert "Advocacy decision saved for NR-H." in page and "No records need an advocacy decision." in page
    decided = page[page.index('id="decided"'):]
    assert "Referred for an advocate" in decided and "POhWER, 1 December 2026" in decided and WHO in decided
    assert "advocacy" in actions()
    (entry,) = audit.list_events(action="advocacy").items
    assert entry.actor == WHO and entry.detail == "conversation=conv-hard stage=outcomes decision=referred on=2026-12-01"


def test_no_referral_needs_a_reason(client: Any) -> None:
    _struggling()
    token = csrf(client.get(DECIDE).get_data(as_text=True))
    refused = client.post(DECIDE, data={"csrf_token": token, "decision": c.ADVOCACY_NOT_NEEDED})
    assert refused.status_code == 400
    assert "Choose why no referral is needed" in refused.get_data(as_text=True)
    done = client.post(DECIDE, data={"csrf_token": token, "decision": c.ADVOCACY_NOT_NEEDED,
                                     "no_referral_reason": "appropriate_person"})
    assert done.status_code == 303
    assert advocacy.decided()[0].no_referral_reason == "appropriate_person"


def test_an_incomplete_referral_says_what_is_missing_and_saves_nothing(client: Any) -> None:
    _struggling()
    token = csrf(client.get(DECIDE).get_data(as_text=True))
    page = client.post(DECIDE, data={"csrf_token": token, "decision": c.ADVOCACY_REFERRED,
                                     "referred_on": "first of december"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "There is a problem" in text
    assert "Enter the date as year, month and day" in text
    assert "Enter the advocacy organisation you referred them to" in text
    nothing = client.post(DECIDE, data={"csrf_token": token})
    assert nothing.status_code == 400 and "Choose whether you referred them for an advocate" in nothing.get_data(
        as_text=True)
    assert advocacy.decided() == [] and "advocacy" not in actions()


def test_without_the_token_nothing_is_saved(client: Any) -> None:
    _struggling()
    assert client.post(DECIDE, data={"decision": c.ADVOCACY_NOT_NEEDED,
                                     "no_referral_reason": "has_advocate"}).status_code == 400
    assert advocacy.decided() == []


def test_a_record_with_nothing_to_decide_is_not_found(client: Any) -> None:
    records.start_conversation("conv-fine", S, "NR-F", c.ROLE_PERSON)
    assert client.get("/review/advocacy/conv-fine/outcomes").status_code == 404
    assert client.get("/review/advocacy/nobody/outcomes").status_code == 404


def test_the_conversation_says_plainly_when_someone_answered_for_the_person(client: Any, tracker: str) -> None:
    _struggling("conv-family", "NR-FAM", c.ROLE_FAMILY_FRIEND)
    records.start_conversation("conv-self", S, "NR-SELF", c.ROLE_PERSON)
    page = client.get("/review/conversations/conv-family").get_data(as_text=True)
    assert ("A family member or friend answered for the person. Check they are an appropriate person to support "
            "them: they may be the one the concern is about.") in page
    records.start_conversation("conv-adv", S, "NR-ADV", c.ROLE_ADVOCATE)
    assert "An advocate answered for the person." in client.get("/review/conversations/conv-adv").get_data(
        as_text=True)
    assert "answered for the person" not in client.get("/review/conversations/conv-self").get_data(as_text=True)
