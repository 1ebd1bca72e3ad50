"""The store, without Rasa: answers saved at once, idempotently, exported per contract."""

from __future__ import annotations

import pytest

from bot import constants as c
from bot.store import records

CID = "conv-1"
S = c.STAGE_OUTCOMES


def test_start_creates_then_resumes_paused(record_db: str) -> None:
    first = records.start_conversation(CID, S, "NR-1", "person")
    assert first.created and first.status == c.STATUS_IN_PROGRESS
    records.set_status(CID, S, c.STATUS_PAUSED)
    again = records.start_conversation(CID, S)
    assert not again.created
    assert again.previous_status == c.STATUS_PAUSED
    assert again.status == c.STATUS_IN_PROGRESS
    record = records.get_record(CID, S)
    assert record is not None
    assert record["enquiry_ref"] == "NR-1" and record["speaker_role"] == "person"


def test_answers_are_saved_idempotently(record_db: str) -> None:
    records.start_conversation(CID, S)
    for _ in range(2):
        records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
        records.add_outcomes(CID, S, [(c.FEEL_SAFER, "I want the hitting to stop")])
    exported = records.export_records()
    assert len(exported) == 1
    assert [o["code"] for o in exported[0]["outcomes"]] == [c.FEEL_SAFER]
    assert exported[0]["outcomes"][0]["own_words"] == "I want the hitting to stop"
    assert exported[0]["asked_about_outcomes"] == c.ASKED_EXPRESSED


def test_same_code_keeps_all_own_words(record_db: str) -> None:
    records.add_outcomes(CID, S, [(c.SOMETHING_ELSE, "my money back")])
    records.add_outcomes(CID, S, [(c.SOMETHING_ELSE, "a new care home"), (c.SOMETHING_ELSE, "my money back")])
    # Two wishes with one code keep their own words each; the same words again (a retry) add nothing.
    assert [o.own_words for o in records.list_outcomes(CID, S)] == ["my money back", "a new care home"]
    exported = records.get_record(CID, S)
    assert exported is not None
    assert [o["own_words"] for o in exported["outcomes"]] == ["my money back", "a new care home"]


def test_a_wish_taken_away_is_kept_and_marked_never_deleted(record_db: str) -> None:
    records.add_outcomes(CID, S, [(c.POLICE_PROSECUTE, "police to charge him"), (c.BE_INVOLVED, "kept informed")])
    assert records.withdraw_outcomes(CID, S, codes=[c.POLICE_PROSECUTE]) == [c.POLICE_PROSECUTE]
    assert [o.code for o in records.list_outcomes(CID, S)] == [c.BE_INVOLVED]
    record = records.get_record(CID, S)
    assert record is not None
    assert [o["code"] for o in record["outcomes"]] == [c.BE_INVOLVED]
    (gone,) = record["withdrawn_outcomes"]
    assert gone["code"] == c.POLICE_PROSECUTE and gone["own_words"] == "police to charge him"
    assert gone["withdrawn_at"] and gone["withdrawn_reason"] == c.WITHDRAWN_BY_PERSON
    # Withdrawing again changes nothing; a withdrawn wish is never asked about at review.
    assert records.withdraw_outcomes(CID, S, codes=[c.POLICE_PROSECUTE]) == []


def test_a_chosen_wish_has_no_own_words(record_db: str) -> None:
    records.add_outcomes(CID, S, [(c.FEEL_SAFER, "For the hurt to stop")], chosen=True)
    (outcome,) = records.list_outcomes(CID, S)
    assert outcome.chosen and outcome.own_words == ""
    record = records.get_record(CID, S)
    assert record is not None and record["outcomes"][0]["chosen"] is True


def test_safe_contact_answers_are_kept_and_exported(record_db: str) -> None:
    records.start_conversation(CID, S)
    unasked = records.get_record(CID, S)
    assert unasked is not None and unasked["safe_contact"] is None
    records.save_contact_answer(CID, S, c.CONTACT_SAFE_TO_CALL, c.YES)
    records.save_contact_answer(CID, S, c.CONTACT_NUMBER, "07700 900123")
    record = records.get_record(CID, S)
    assert record is not None and record["safe_contact"]["answered_at"] is not None
    assert record["safe_contact"]["safe_to_call"] == c.YES
    assert record["safe_contact"]["number"] == "07700 900123"


def test_may_not_be_achievable_is_set_for_hard_wishes(record_db: str) -> None:
    records.add_outcomes(
        CID, S, [(c.POLICE_PROSECUTE, "police to charge him"), (c.BE_INVOLVED, "kept informed")]
    )
    flags = {o.code: o.may_not_be_achievable for o in records.list_outcomes(CID, S)}
    assert flags == {c.POLICE_PROSECUTE: True, c.BE_INVOLVED: False}


def test_remove_outcome_and_none_expressed(record_db: str) -> None:
    records.add_outcomes(CID, S, [(c.POLICE_PROSECUTE, "prosecute him")])
    assert records.remove_outcomes(CID, S, [c.POLICE_PROSECUTE]) == [c.POLICE_PROSECUTE]
    record = records.get_record(CID, S)
    assert record is not None
    assert record["outcomes"] == []
    assert record["asked_about_outcomes"] == c.ASKED_NONE_EXPRESSED


def test_export_matches_contract_shape(record_db: str) -> None:
    records.start_conversation(CID, S, "NR-2026-0042", "person")
    records.set_flag(CID, S, c.FLAG_URGENT_SAFETY)
    records.save_answer(CID, S, "confirmed", True)
    records.save_answer(CID, S, c.CONSENT_TO_TALK, c.YES)
    (record,) = records.export_records(enquiry_ref="NR-2026-0042")
    v1 = {
        "conversation_id", "enquiry_ref", "stage", "status", "speaker_role",
        "asked_about_outcomes", "outcomes", "feedback", "flags", "confirmed",
        "started_at", "updated_at",
    }
    v2 = {"contract", "answers", "corrections", "alerts"}
    later = {"withdrawn_outcomes", "safe_contact"}  # added since, new keys only
    v3 = {"marks"}
    v4 = {"checkins"}
    assert set(record) == v1 | v2 | later | v3 | v4  # each version adds keys only: every v1 key is still there
    assert record["contract"] == 4
    assert record["answers"] == {"consent_to_talk": "yes", "feels_safe_now": None, "wants_advocate": None}
    assert record["corrections"] == []
    (alert,) = record["alerts"]  # the urgent flag raised its duty alert
    assert set(alert) == {"kind", "raised_at", "delivery", "acknowledged_by", "acknowledged_at",
                          "reason", "follows_alert_id", "route"}  # the last three added with issue 15
    assert alert["kind"] == "urgent_safety" and alert["raised_at"].endswith("Z")
    assert set(record["feedback"]) == {*c.FEEDBACK_QUESTIONS, "comments"}
    assert record["flags"] == {
        "urgent_safety": True, "advocacy_requested": False, "wants_human_contact": False, "advocacy_needed": False
    }
    assert record["confirmed"] is True
    assert record["started_at"].endswith("Z") and "T" in record["started_at"]
    assert records.export_records(enquiry_ref="other") == []


def test_review_copies_confirmed_enquiry_outcomes_once(record_db: str) -> None:
    records.start_conversation("out-1", S, "E-9")
    records.add_outcomes("out-1", S, [(c.ABUSER_STAYS_AWAY, "him to move out")])
    assert records.copy_outcomes_for_review("rev-1", "E-9") == 0  # not confirmed yet
    records.save_answer("out-1", S, "confirmed", True)
    assert records.copy_outcomes_for_review("rev-1", "E-9") == 1
    assert records.copy_outcomes_for_review("rev-1", "E-9") == 1
    records.set_achieved("rev-1", c.STAGE_REVIEW, c.ABUSER_STAYS_AWAY, c.PARTLY)
    (outcome,) = records.list_outcomes("rev-1", c.STAGE_REVIEW)
    assert outcome.achieved == c.PARTLY and outcome.own_words == "him to move out"
    (original,) = records.list_outcomes("out-1", S)
    assert original.achieved is None


def test_bad_names_never_reach_the_database(record_db: str) -> None:
    with pytest.raises(ValueError):
        records.save_answer(CID, S, "status; drop table", "x")
    with pytest.raises(ValueError):
        records.set_flag(CID, S, "nope")
    with pytest.raises(ValueError):
        records.add_outcomes(CID, S, [("made_up", "words")])
