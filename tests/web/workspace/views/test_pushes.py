"""Records sent to the case system, in the workspace: the first page's count, the list, "Stop sending"."""

from __future__ import annotations

import re
from typing import Any, List

from bot import constants as c
from bot.store import push_outbox, pushes, records
from tests.web.workspace.views.helpers import WHO, actions, csrf

S = c.STAGE_OUTCOMES


def _finished(cid: str, ref: str) -> None:
    records.start_conversation(cid, S, ref, c.ROLE_PERSON)
    records.add_outcomes(cid, S, [(c.FEEL_SAFER, "the words marmalade xylophone")])
    records.set_status(cid, S, c.STATUS_COMPLETED)


def _one_failing_one_waiting() -> List[int]:
    _finished("conv-a", "NR-A")
    _finished("conv-b", "NR-B")
    for push in push_outbox.claim_due("w"):
        if push.conversation_id == "conv-a":
            push_outbox.record_try(push.id, "HTTP 503", claim=push.claim)
        else:
            push_outbox.release([push.id], push.claim or "")
    return [p.id for p in pushes.list_pushes()]


def test_the_first_page_counts_records_not_sent_yet(client: Any) -> None:
    assert 'id="pushes-waiting"' not in client.get("/review/").get_data(as_text=True)
    _one_failing_one_waiting()
    page = client.get("/review/").get_data(as_text=True)
    assert '<a class="govuk-link" href="/review/pushes">1 record not sent to the case system yet</a>.' in page


def test_the_list_shows_what_waits_failing_first_and_no_words(client: Any) -> None:
    _one_failing_one_waiting()
    page = client.get("/review/pushes").get_data(as_text=True)
    assert "2 records waiting to be sent, 1 of them not sent yet after trying." in page
    assert "this is not set up on the server yet (RECORD_PUSH_URL is not set)" in page
    waiting = page[page.index('id="waiting"'):page.index('id="recent"')]
    assert waiting.index("NR-A") < waiting.index("NR-B"), "the failing one first"
    assert "HTTP 503" in waiting and "Not sent yet" in waiting and waiting.count("/stop\"") == 2
    assert 'href="/review/conversations/conv-a"' in waiting
    assert "marmalade" not in page


def test_stop_sending_stops_it_is_audited_and_says_so(client: Any) -> None:
    failing, _ = sorted(_one_failing_one_waiting())
    page = client.get("/review/pushes").get_data(as_text=True)
    token = csrf(page)
    stop = re.search(rf"/review/pushes/({failing})/stop", page)
    assert stop is not None
    assert client.post(stop.group(0), data={"csrf_token": token}).status_code == 303
    (row,) = [p for p in pushes.list_pushes() if p.id == failing]
    assert row.state == c.PUSH_STOPPED and row.stopped_by == WHO
    assert "push_stop" in actions()
    page = client.get("/review/pushes").get_data(as_text=True)
    assert f"Push {failing} stopped" in page and "stopped by " + WHO in page
    # Again (or one that is not there): nothing changes, and it says so.
    assert client.post(f"/review/pushes/{failing}/stop", data={"csrf_token": token}).status_code == 303
    assert "was not waiting to be sent" in client.get("/review/pushes").get_data(as_text=True)
    assert client.post("/review/pushes/99999/stop", data={"csrf_token": token}).status_code == 303
    assert actions().count("push_stop") == 1


def test_stop_sending_needs_the_form_token(client: Any) -> None:
    failing, _ = sorted(_one_failing_one_waiting())
    assert client.post(f"/review/pushes/{failing}/stop", data={}).status_code == 400
    assert all(p.state == c.PUSH_QUEUED for p in pushes.list_pushes())


def test_nothing_waiting(client: Any) -> None:
    page = client.get("/review/pushes").get_data(as_text=True)
    assert "Nothing is waiting to be sent." in page and "No records have been sent yet." in page
