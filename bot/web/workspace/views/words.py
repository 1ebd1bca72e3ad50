"""Words the workspace's pages show for codes: the report's, so a code reads the same everywhere."""

from __future__ import annotations

from typing import Any, Dict

from bot import constants as c
from bot.report import render as labels

STAGE_WORDS = labels.STAGE_LABELS
STATUS_WORDS = labels.STATUS_LABELS
FLAG_WORDS = labels.FLAG_LABELS
CODE_WORDS = labels.OUTCOME_LABELS
ROLE_WORDS = {c.ROLE_PERSON: "The person", c.ROLE_ADVOCATE: "An advocate",
              c.ROLE_FAMILY_FRIEND: "Family or a friend"}
QUESTION_WORDS = {
    c.CONSENT_TO_TALK: "OK to talk", c.SPEAKER_ROLE: "Who is answering", c.FEELS_SAFE_NOW: "Safe now",
    c.WANTS_ADVOCATE: "Wants an advocate", c.DESIRED_OUTCOMES: "What they want",
    c.OUTCOMES_CONFIRMED: "Read-back", c.OUTCOME_ACHIEVED: "Did it happen", c.CARRY_ON: "Carry on or stop",
    c.SAFETY_CHECK: "Are you safe (check)", c.ADVOCACY_OFFER: "Offered an advocate",
    **labels.FEEDBACK_LABELS, "comments": "Comments",
}
REASON_WORDS = {
    c.ALERT_REASON_FIRST: "First alert",
    c.ALERT_REASON_AGAIN: "Another message showed danger",
    c.ALERT_REASON_QUICK_EXIT: "The person left quickly with “Exit this page”",
    c.ALERT_REASON_ESCALATION: "Nobody acknowledged it in time: sent to the out-of-hours team",
}
TIER_WORDS = {
    c.MARK_CLEAR: "Danger",
    c.MARK_POSSIBLE: "Possible danger",
    c.MARK_REVIEW: "Worth a look",
}
# Why a message was marked: the kind of danger the reader saw, or how it was said (a press, an answer).
KIND_WORDS = {
    "violence_abuse_now": "Violence or abuse now",
    "suicide_self_harm": "Suicide or self-harm",
    "medical_emergency": "A medical emergency",
    "fire_gas": "Fire or gas",
    "scam_in_progress": "A scam happening now",
    "exploitation_slavery": "Exploitation or modern slavery",
    "neglect_now": "Neglect now",
    "danger": "Danger",
    "self_harm": "Self-harm",
    "button": "Pressed “I am not safe right now”",
    "answer": "Said they are not safe",
    "model": "The assistant’s language model",
}
CONTACT_ANSWER_WORDS = {c.YES: "Yes", c.NO: "No", c.NOT_SURE: "Not sure", None: "Not answered"}
ANSWER_WORDS: Dict[Any, str] = {
    **labels.ANSWER_LABELS, c.LATER: "Later", c.NOT_SURE: "Not sure", c.ALREADY_HAVE: "Already has one",
    c.DECLINED: "Chose not to answer", c.FULLY: "Fully", c.NOT: "Not achieved", None: "Not asked yet",
}
