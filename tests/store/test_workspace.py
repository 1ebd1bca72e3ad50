"""The workspace's queries: the list (search, filters, pages), a conversation, code corrections, open alerts.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import select, update

from bot import constants as c
from bot.report import compute_report_between
from bot.store import alerts, attention, corrections, records, workspace
from bot.store.db import session_scope
from bot.store.models import Alert, AuditEvent, Conversation, Correction, Mark, Outcome, utcnow

S, R = c.STAGE_OUTCOMES, c.STAGE_REVIEW
T0 = datetime(2026, 5, 1, 9, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    """A fresh records database of each kind, with the session factory pointed at it."""
    return str(request.getfixturevalue("record_db" if request.param == "sqlite" else "pg_record_db"))


def _activity(conversation_id: str, stage: str, minutes: int) -> None:
    with session_scope() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.conversation_id == conversation_id, Conversation.stage == stage)
            .values(updated_at=T0 + timedelta(minutes=minutes))
        )


@pytest.fixture
def listed(store: str) -> List[str]:
    """Twelve records; the list order (latest activity first) is the returned ids' order."""
    made = []
    for i in range(10):
        ref = f"NR-2026-{i:04d}" if i < 8 else f"XY-{i}"
        records.start_conversation(f"conv-{i}", S, ref, c.ROLE_PERSON)
        records.set_status(f"conv-{i}", S, [c.STATUS_COMPLETED, c.STATUS_PAUSED][i % 2])
        _activity(f"conv-{i}", S, i)
        made.append(f"conv-{i}")
    records.start_conversation("rev-3", R, "NR-2026-0003", c.ROLE_ADVOCATE)
    records.set_status("rev-3", R, c.STATUS_DECLINED)
    _activity("rev-3", R, 30)
    records.start_conversation("anon", S)  # no reference
    _activity("anon", S, 20)
    records.set_flag("conv-2", S, c.FLAG_URGENT_SAFETY)
    records.set_flag("conv-7", S, c.FLAG_ADVOCACY_REQUESTED)
    records.set_flag("rev-3", R, c.FLAG_URGENT_SAFETY)
    _activity("conv-2", S, 2)
    _activity("conv-7", S, 7)
    _activity("rev-3", R, 30)
    return ["rev-3", "anon", *reversed(made)]


def test_list_is_latest_activity_first_in_pages(listed: List[str]) -> None:
    first = workspace.list_enquiries(per_page=5)
    assert (first.total, first.page, first.pages, first.per_page) == (12, 1, 3, 5)
    assert [row.conversation_id for row in first.items] == listed[:5]
    row = first.items[0]
    assert (row.enquiry_ref, row.stage, row.status) == ("NR-2026-0003", R, c.STATUS_DECLINED)
    assert row.flags == {c.FLAG_URGENT_SAFETY: True, c.FLAG_ADVOCACY_REQUESTED: False,
                         c.FLAG_WANTS_HUMAN_CONTACT: False, c.FLAG_ADVOCACY_NEEDED: False}
    assert row.last_activity == T0 + timedelta(minutes=30)
    assert first.items[1].enquiry_ref is None
    seen = [r.conversation_id for p in (1, 2, 3) for r in workspace.list_enquiries(page=p, per_page=5).items]
    assert seen == listed
    past_the_end = workspace.list_enquiries(page=99, per_page=5)
    assert past_the_end.page == 3 and [r.conversation_id for r in past_the_end.items] == listed[10:]
    assert workspace.list_enquiries(page=0, per_page=5).page == 1
    assert workspace.list_enquiries(per_page=10_000).per_page == workspace.MAX_PER_PAGE


@pytest.mark.parametrize("search, expected", [
    ("NR-2026-0003", ["rev-3", "conv-3"]),
    ("nr-2026-0003", ["rev-3", "conv-3"]),         # any case
    ("  nr-2026-000", None),                        # a prefix, spaces trimmed: every NR record
    ("xy-", ["conv-9", "conv-8"]),
    ("2026", []),                                   # the start of the reference, not any part
    ("NR-2026-0003%", []),                          # LIKE wildcards are plain characters
    ("NR_2026", []),
    ("", None),
])
def test_search_is_a_case_blind_prefix(listed: List[str], search: str, expected: List[str]) -> None:
    found = workspace.list_enquiries(search=search, per_page=100)
    ids = [row.conversation_id for row in found.items]
    if expected is None:
        everything = [i for i in listed if i not in ("anon", "conv-8", "conv-9")]
        assert ids == (everything if search.strip() else listed)
    else:
        assert ids == expected
    assert found.total == len(ids)


def test_filters_by_status_and_flag(listed: List[str]) -> None:
    paused = workspace.list_enquiries(status=c.STATUS_PAUSED)
    assert [r.conversation_id for r in paused.items] == ["conv-9", "conv-7", "conv-5", "conv-3", "conv-1"]
    urgent = workspace.list_enquiries(flag=c.FLAG_URGENT_SAFETY)
    assert [r.conversation_id for r in urgent.items] == ["rev-3", "conv-2"]
    both = workspace.list_enquiries(search="nr", status=c.STATUS_PAUSED, flag=c.FLAG_ADVOCACY_REQUESTED)
    assert [r.conversation_id for r in both.items] == ["conv-7"] and both.total == 1
    none = workspace.list_enquiries(flag=c.FLAG_WANTS_HUMAN_CONTACT)
    assert (none.items, none.total, none.page, none.pages) == ([], 0, 1, 1)
    with pytest.raises(ValueError):
        workspace.list_enquiries(status="nope")
    with pytest.raises(ValueError):
        workspace.list_enquiries(flag="status")


def test_a_conversation_has_a_record_per_stage(store: str) -> None:
    records.start_conversation("same", R, "NR-1", c.ROLE_PERSON)
    records.start_conversation("same", S, "NR-1", c.ROLE_PERSON)
    records.add_outcomes("same", S, [(c.FEEL_SAFER, "for it to stop")])
    outcomes, review = records.get_record("same", S), records.get_record("same", R)
    assert outcomes is not None and review is not None
    assert (outcomes["stage"], outcomes["contract"], review["stage"], review["contract"]) == (S, 4, R, 4)
    assert outcomes["outcomes"][0]["own_words"] == "for it to stop" and review["outcomes"] == []
    assert records.get_record("nobody", S) is None


def _audits() -> List[AuditEvent]:
    with session_scope() as session:
        rows = list(session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())
        session.expunge_all()
        return rows


def correct_code(conversation_id: str, stage: str, outcome_index: int, to_code: str, by: str,
                 address: Optional[str] = None) -> Dict[str, Any]:
    """What a correction in the workspace does (`corrections.recode`), then the record as it now is."""
    corrections.recode(conversation_id, stage, outcome_index, to_code, by, address)
    record = records.get_record(conversation_id, stage)
    assert record is not None
    return record


def test_correct_code_keeps_the_words_and_both_codes_and_audits(store: str) -> None:
    records.start_conversation("conv-1", S, "NR-1", c.ROLE_PERSON)
    records.add_outcomes("conv-1", S, [(c.SOMETHING_ELSE, "i want him punished"),
                                       (c.FEEL_SAFER, "for the hitting to stop")])
    records.set_status("conv-1", S, c.STATUS_COMPLETED)
    before = records.get_record("conv-1", S)
    assert before is not None

    record = correct_code("conv-1", S, 0, c.POLICE_PROSECUTE, "sw@example.org", address="10.0.0.7")
    assert [(o["code"], o["own_words"]) for o in record["outcomes"]] == [
        (c.POLICE_PROSECUTE, "i want him punished"), (c.FEEL_SAFER, "for the hitting to stop")]
    assert record["outcomes"][0]["may_not_be_achievable"] is True  # follows the code
    (fix,) = record["corrections"]
    assert (fix["outcome_index"], fix["from_code"], fix["to_code"], fix["by"]) == (
        0, c.SOMETHING_ELSE, c.POLICE_PROSECUTE, "sw@example.org")
    assert record == records.get_record("conv-1", S)
    assert record["updated_at"] == before["updated_at"]  # not the person's activity: the period stays
    (entry,) = [a for a in _audits() if a.action == "correct"]
    assert (entry.actor, entry.address) == ("sw@example.org", "10.0.0.7")
    assert entry.detail == ("conversation=conv-1 stage=outcomes outcome=0 "
                            "from=something_else to=police_prosecute")
    assert "punished" not in (entry.detail or "")  # never the person's words

    # The report counts the wish under its new code.
    codes = compute_report_between().outcome_codes
    assert (codes[c.POLICE_PROSECUTE], codes[c.SOMETHING_ELSE], codes[c.FEEL_SAFER]) == (1, 0, 1)

    # A second correction of the same wish keeps the whole trail.
    record = correct_code("conv-1", S, 0, c.ABUSER_STAYS_AWAY, "manager@example.org")
    assert [(f["from_code"], f["to_code"]) for f in record["corrections"]] == [
        (c.SOMETHING_ELSE, c.POLICE_PROSECUTE), (c.POLICE_PROSECUTE, c.ABUSER_STAYS_AWAY)]
    assert record["outcomes"][0]["own_words"] == "i want him punished"


def test_correcting_to_the_same_code_changes_nothing(store: str) -> None:
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "for it to stop")])
    before = records.get_record("conv-1", S)
    assert correct_code("conv-1", S, 0, c.FEEL_SAFER, "sw@example.org") == before
    assert [a for a in _audits() if a.action == "correct"] == []
    with session_scope() as session:
        assert session.execute(select(Correction)).first() is None


@pytest.mark.parametrize("stage, index, code, problem", [
    (S, 0, "made_up", "not an outcome code"),
    ("middle", 0, c.FEEL_SAFER, "not a stage"),
    (S, 2, c.FEEL_SAFER, "no wish 2"),
    (S, -1, c.FEEL_SAFER, "no wish -1"),
    (R, 0, c.FEEL_SAFER, "no review record"),
])
def test_correct_code_refuses_what_it_cannot_do(store: str, stage: str, index: int, code: str,
                                                problem: str) -> None:
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "for it to stop"), (c.BE_INVOLVED, "to be told")])
    before = records.get_record("conv-1", S)
    with pytest.raises(ValueError, match=problem):
        correct_code("conv-1", stage, index, code, "sw@example.org")
    assert records.get_record("conv-1", S) == before
    assert [a for a in _audits() if a.action == "correct"] == []


def test_open_alerts_oldest_first_with_the_wait(store: str) -> None:
    first = records.set_flag("conv-a", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    records.save_answer("conv-b", S, "enquiry_ref", "NR-2")
    second = records.set_flag("conv-b", S, c.FLAG_WANTS_HUMAN_CONTACT, ())
    third = records.set_flag("conv-c", R, c.FLAG_URGENT_SAFETY, ("webhook",))
    assert first and second and third
    with session_scope() as session:
        for alert_id, hours in ((first, 5), (second, 2), (third, 1)):
            session.execute(update(Alert).where(Alert.id == alert_id)
                            .values(raised_at=utcnow() - timedelta(hours=hours)))
    alerts.acknowledge(third, "duty@example.org")

    found = attention.open_alerts()
    assert [a.id for a in found] == [first, second]
    assert [(a.kind, a.conversation_id, a.enquiry_ref, a.delivery) for a in found] == [
        (c.FLAG_URGENT_SAFETY, "conv-a", None, c.DELIVERY_RETRYING),
        (c.FLAG_WANTS_HUMAN_CONTACT, "conv-b", "NR-2", c.DELIVERY_NO_CHANNEL)]
    assert 5 * 3600 <= found[0].waited_s < 5 * 3600 + 60
    assert 2 * 3600 <= found[1].waited_s < 2 * 3600 + 60
    assert [a.id for a in attention.open_alerts(limit=1)] == [second]  # a cut keeps the newest


def test_two_wishes_may_share_a_code(store: str) -> None:
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "for it to stop"), (c.BE_INVOLVED, "to be told")])
    record = correct_code("conv-1", S, 1, c.FEEL_SAFER, "sw@example.org")
    assert [(o["code"], o["own_words"]) for o in record["outcomes"]] == [
        (c.FEEL_SAFER, "for it to stop"), (c.FEEL_SAFER, "to be told")]
    assert corrections.recode("conv-1", S, 1, c.FEEL_SAFER, "sw@example.org") is False  # already so
    assert compute_report_between().outcome_codes[c.FEEL_SAFER] == 1  # one enquiry wished for it


def _wish_rows(conversation_id: str) -> List[Outcome]:
    with session_scope() as session:
        rows = list(session.execute(
            select(Outcome).join(Conversation).where(Conversation.conversation_id == conversation_id)
            .order_by(Outcome.position)).scalars())
        session.expunge_all()
        return rows


def test_not_a_wish_sets_the_wish_aside_and_keeps_it(store: str) -> None:
    records.start_conversation("conv-1", S, "NR-1", c.ROLE_PERSON)
    records.add_outcomes("conv-1", S, [(c.SOMETHING_ELSE, "hello is this working"),
                                       (c.FEEL_SAFER, "for the hitting to stop")])
    records.set_status("conv-1", S, c.STATUS_COMPLETED)
    before = records.get_record("conv-1", S)
    assert before is not None
    assert compute_report_between().outcome_codes[c.SOMETHING_ELSE] == 1

    assert corrections.set_aside("conv-1", S, 0, "sw@example.org", address="10.0.0.7") is True
    junk, kept = _wish_rows("conv-1")
    assert (junk.code, junk.own_words) == (c.SOMETHING_ELSE, "hello is this working"), "never deleted"
    assert junk.withdrawn_at is not None and junk.withdrawn_in is None
    assert junk.withdrawn_reason == c.WITHDRAWN_NOT_A_WISH and kept.withdrawn_at is None
    with session_scope() as session:
        (fix,) = session.execute(select(Correction)).scalars()
        assert (fix.outcome_index, fix.from_code, fix.to_code, fix.by) == (
            0, c.SOMETHING_ELSE, "not_a_wish", "sw@example.org")
    (entry,) = [a for a in _audits() if a.action == "not_a_wish"]
    assert (entry.actor, entry.address) == ("sw@example.org", "10.0.0.7")
    assert entry.detail == "conversation=conv-1 stage=outcomes outcome=0 code=something_else"
    after = records.get_record("conv-1", S)
    assert after is not None and after["updated_at"] == before["updated_at"]  # not the person's activity

    # Reports no longer count it; the other wish still counts.
    codes = compute_report_between().outcome_codes
    assert (codes[c.SOMETHING_ELSE], codes[c.FEEL_SAFER]) == (0, 1)

    # The page shows it apart, with who set it aside; the standing wish keeps its number.
    (page,) = workspace.conversation_page("conv-1")
    assert [(w.index, w.code) for w in page.standing_wishes] == [(1, c.FEEL_SAFER)]
    (aside,) = page.withdrawn_wishes
    assert (aside.index, aside.own_words, aside.set_aside_by) == (0, "hello is this working", "sw@example.org")

    # Twice changes nothing; a wish set aside has no code to correct.
    assert corrections.set_aside("conv-1", S, 0, "sw@example.org") is False
    with pytest.raises(ValueError, match="taken away"):
        corrections.recode("conv-1", S, 0, c.FEEL_SAFER, "sw@example.org")
    assert len([a for a in _audits() if a.action == "not_a_wish"]) == 1
    with pytest.raises(ValueError, match="no wish 5"):
        corrections.set_aside("conv-1", S, 5, "sw@example.org")


def test_conversation_page_has_marks_alerts_and_safe_contact(store: str) -> None:
    records.start_conversation("conv-1", S, "NR-1", c.ROLE_PERSON)
    alert_id = records.set_flag("conv-1", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    raised = T0 + timedelta(minutes=5)
    with session_scope() as session:
        row = session.execute(select(Conversation).where(Conversation.conversation_id == "conv-1")).scalar_one()
        row.contact_safe_to_call = c.YES
        row.contact_when = "after 6pm on weekdays"
        row.contact_number = "07700 900123"
        row.contact_others_answer = c.NOT_SURE
        row.contact_answered_at = raised + timedelta(minutes=2)
        session.add_all([
            Mark(conversation_pk=row.id, at=raised + timedelta(minutes=1), tier=c.MARK_POSSIBLE, kind="harm",
                 reason="model 0.61", message_id="m-2", reader_version="t"),
            Mark(conversation_pk=row.id, at=raised, tier=c.MARK_CLEAR, kind="violence",
                 reason="rule hitting_now", message_id="m-1", reader_version="t"),
        ])
        session.execute(update(Alert).where(Alert.id == alert_id).values(message_id="m-1", raised_at=raised))

    (page,) = workspace.conversation_page("conv-1")
    assert [(m.tier, m.message_id, m.reason) for m in page.marks] == [
        (c.MARK_CLEAR, "m-1", "rule hitting_now"), (c.MARK_POSSIBLE, "m-2", "model 0.61")]
    (alert,) = page.alerts
    assert (alert.id, alert.message_id, alert.reason, alert.raised_at) == (alert_id, "m-1", "first", raised)
    assert page.danger_at == raised and page.danger_message_id == "m-1"
    contact = page.safe_contact
    assert contact is not None
    assert (contact.safe_to_call, contact.when, contact.number, contact.others_answer, contact.if_missed) == (
        c.YES, "after 6pm on weekdays", "07700 900123", c.NOT_SURE, None)
    assert workspace.conversation_page("nobody") == []


def test_open_alerts_name_the_message_and_say_when_safe_contact_answers_exist(store: str) -> None:
    first = records.set_flag("conv-a", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    second = records.set_flag("conv-b", S, c.FLAG_WANTS_HUMAN_CONTACT, ("webhook",))
    with session_scope() as session:
        session.execute(update(Alert).where(Alert.id == first).values(message_id="m-9"))
        session.execute(update(Conversation).where(Conversation.conversation_id == "conv-b")
                        .values(contact_when="mornings"))
    found = {a.id: a for a in attention.open_alerts()}
    assert (found[first].message_id, found[first].safe_contact) == ("m-9", False)
    assert (found[second].message_id, found[second].safe_contact) == (None, True)
    assert found[first].reason == c.ALERT_REASON_FIRST


def test_alert_state_says_whether_an_alert_exists_and_who_acknowledged_it(store: str) -> None:
    alert_id = records.set_flag("conv-a", S, c.FLAG_URGENT_SAFETY, ("webhook",))
    assert alert_id is not None
    state = attention.alert_state(alert_id)
    assert state is not None and state.acknowledged_by is None
    alerts.acknowledge(alert_id, "duty@example.org")
    state = attention.alert_state(alert_id)
    assert state is not None and state.acknowledged_by == "duty@example.org" and state.acknowledged_at
    assert attention.alert_state(alert_id + 1000) is None


# --- "worth a look" ----------------------------------------------------------------------------


def _marked() -> None:
    """Two records with marks of each tier; the person's words in a wish. The review marks are m-1 and m-4."""
    records.start_conversation("conv-1", S, "NR-1", c.ROLE_PERSON)
    records.add_outcomes("conv-1", S, [(c.FEEL_SAFER, "he keeps my pension card")])
    records.start_conversation("conv-2", S, "NR-2", c.ROLE_PERSON)
    for cid, tier, kind, message_id, minutes in (
            ("conv-1", c.MARK_REVIEW, "scam_in_progress", "m-1", 1),
            ("conv-1", c.MARK_CLEAR, "violence_abuse_now", "m-2", 2),
            ("conv-2", c.MARK_POSSIBLE, "neglect_now", "m-3", 3),
            ("conv-2", c.MARK_REVIEW, "neglect_now", "m-4", 4)):
        records.add_mark(cid, S, tier, kind, "readers-7", f"reader p 0.4{minutes}, {kind}", message_id)
        with session_scope() as session:
            session.execute(update(Mark).where(Mark.message_id == message_id)
                            .values(at=T0 + timedelta(minutes=minutes)))


def _mark_id(message_id: str) -> int:
    with session_scope() as session:
        return int(session.execute(select(Mark.id).where(Mark.message_id == message_id)).scalar_one())


def test_marks_to_read_are_the_unread_review_marks_newest_first_without_words(store: str) -> None:
    _marked()
    found = attention.marks_to_read()
    assert [(m.conversation_id, m.message_id) for m in found] == [("conv-2", "m-4"), ("conv-1", "m-1")]
    last = found[1]
    assert (last.id, last.enquiry_ref, last.stage, last.at, last.kind, last.reason, last.reader_version) == (
        _mark_id("m-1"), "NR-1", S, T0 + timedelta(minutes=1), "scam_in_progress",
        "reader p 0.41, scam_in_progress", "readers-7")
    assert "pension" not in repr(found), "never the person's words"
    assert attention.count_marks_to_read() == 2
    assert [m.message_id for m in attention.marks_to_read(limit=1)] == ["m-4"]


def test_mark_read_keeps_who_and_when_and_is_audited(store: str) -> None:
    _marked()
    mark_id = _mark_id("m-1")
    done = attention.mark_read(mark_id, "pat@example.org", address="10.0.0.7")
    assert (done.result, done.enquiry_ref, done.conversation_id, done.message_id, done.read_by) == (
        attention.MARK_READ, "NR-1", "conv-1", "m-1", "pat@example.org")
    assert done.read_at is not None
    assert [m.message_id for m in attention.marks_to_read()] == ["m-4"]
    assert attention.count_marks_to_read() == 1
    (audit,) = [a for a in _audits() if a.action == "mark_read"]
    assert (audit.actor, audit.address) == ("pat@example.org", "10.0.0.7")
    assert audit.detail == f"mark={mark_id} conversation=conv-1 stage={S} message=m-1"

    (page,) = workspace.conversation_page("conv-1")
    read = {m.message_id: m for m in page.marks}
    assert (read["m-1"].id, read["m-1"].read_by, read["m-1"].read_at, read["m-1"].reader_version) == (
        mark_id, "pat@example.org", done.read_at, "readers-7")
    assert read["m-2"].read_by is None and read["m-2"].read_at is None

    again = attention.mark_read(mark_id, "sam@example.org")
    assert (again.result, again.read_by, again.read_at, again.enquiry_ref) == (
        attention.MARK_ALREADY_READ, "pat@example.org", done.read_at, "NR-1")
    missing = attention.mark_read(mark_id + 1000, "pat@example.org")
    assert (missing.result, missing.conversation_id) == (attention.NO_MARK, None)
    assert len([a for a in _audits() if a.action == "mark_read"]) == 1, "only what changed is audited"
    with pytest.raises(ValueError, match="who read it"):
        attention.mark_read(_mark_id("m-4"), "")


def test_mark_read_and_its_audit_stand_or_fall_together(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _marked()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(attention, "add_audit", broken)
    with pytest.raises(RuntimeError):
        attention.mark_read(_mark_id("m-4"), "pat@example.org")
    assert attention.count_marks_to_read() == 2, "no audit, no change"
