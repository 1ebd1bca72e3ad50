"""Tables for the MSP record. The schema itself comes from Alembic (migrations/)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot import constants as c
from bot.store.crypto import EncryptedText

# Typed as Any: SQLAlchemy 1.4's declarative_base() is opaque to mypy without its plugin.
Base: Any = declarative_base()


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp is UTC by convention."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Conversation(Base):
    """One conversation at one stage: the unit the record contract exports."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("conversation_id", "stage", name="uq_conversation_stage"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    stage = Column(String(16), nullable=False)
    enquiry_ref = Column(String(64), index=True)
    status = Column(String(16), nullable=False, default=c.STATUS_IN_PROGRESS)
    speaker_role = Column(String(16))

    consent_to_talk = Column(String(16))
    feels_safe_now = Column(String(16))
    wants_advocate = Column(String(16))
    asked_about_outcomes = Column(String(32))
    confirmed = Column(Boolean, nullable=False, default=False)

    goals_met = Column(String(16))
    chance_to_say = Column(String(16))
    listened_to = Column(String(16))
    acted_on_wishes = Column(String(16))
    feel_safe = Column(String(16))
    happier = Column(String(16))
    comments = Column(EncryptedText)  # the person's words: encrypted at rest

    # Safe contact, asked after the help for danger or a request for a person. The
    # free-text answers are the person's words: encrypted at rest.
    contact_safe_to_call = Column(String(16))
    contact_when = Column(EncryptedText)
    contact_number = Column(EncryptedText)
    contact_others_answer = Column(String(16))
    contact_if_missed = Column(EncryptedText)
    contact_answered_at = Column(DateTime)

    urgent_safety = Column(Boolean, nullable=False, default=False)
    advocacy_requested = Column(Boolean, nullable=False, default=False)
    wants_human_contact = Column(Boolean, nullable=False, default=False)
    # Signs that taking part is hard (migration 0010): the reasons and the practitioner's decision are in
    # `advocacy`; the flag is here beside the others, so lists, exports and reports count it the same way.
    advocacy_needed = Column(Boolean, nullable=False, default=False)

    started_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Set when retention removed the person's words; codes, answers and statuses stay for the reports.
    words_removed_at = Column(DateTime)

    outcomes: List["Outcome"] = relationship(
        "Outcome",
        order_by="Outcome.position",
        cascade="all, delete-orphan",
        back_populates="conversation",
    )


class Outcome(Base):
    """One wish: the code is for counting, the own words are the record.

    Two wishes may share a code: each keeps its own words. A wish taken away
    is marked withdrawn, never deleted.
    """

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_conversation_code", "conversation_pk", "code"),)

    id = Column(Integer, primary_key=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code = Column(String(32), nullable=False)
    own_words = Column(EncryptedText, nullable=False)  # the person's words: encrypted at rest
    may_not_be_achievable = Column(Boolean, nullable=False, default=False)
    achieved = Column(String(16))
    position = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # Taken away: when, by which conversation (a check-in may take away an earlier wish), and why
    # (c.WITHDRAWN_BY_PERSON, or c.WITHDRAWN_NOT_A_WISH when a practitioner set it aside).
    withdrawn_at = Column(DateTime)
    withdrawn_in = Column(String(255))
    withdrawn_reason = Column(String(16))
    # The conversation that stated it: the first conversation, or a check-in (migration 0011).
    added_in = Column(String(255))
    # Picked with an answer button: the choice is recorded, and there are no own words.
    chosen = Column(Boolean, nullable=False, default=False)
    # A hash of the browser visit that wrote it: its words are read back in that visit only.
    visit = Column(String(64))

    conversation = relationship("Conversation", back_populates="outcomes")

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


class Advocacy(Base):
    """Advocacy for one record: the signs the assistant noticed, its offer, and a practitioner's decision.

    The assistant writes the reasons (codes, never words) and whether the
    person took up the offer; a practitioner writes the referral (date,
    organisation) or why none is needed (a code). Whether the person lacks
    capacity is the practitioner's decision, never the assistant's. A row may
    come from either side first: a request for an advocate needs a decision too.
    """

    __tablename__ = "advocacy"

    id = Column(Integer, primary_key=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    reasons = Column(String(255))  # c.DIFFICULTY_REASONS, comma-separated
    noticed_at = Column(DateTime)
    offered_at = Column(DateTime)  # the assistant offered an advocate (once)
    offer_answer = Column(String(16))  # yes, no, or null (not answered)
    decision = Column(String(16))  # c.ADVOCACY_DECISIONS
    referred_on = Column(Date)
    organisation = Column(String(255))  # the advocacy service referred to (never the person's words)
    no_referral_reason = Column(String(32))  # c.NO_REFERRAL_REASONS
    decided_by = Column(String(255))
    decided_at = Column(DateTime)


class Checkin(Base):
    """One check-in, as a dated entry on the enquiry's outcomes record (`outcomes_pk`) it changed.

    The check-in's own answers are its own record (stage checkin, `conversation_id`);
    this entry says what it changed: the codes added, taken away and changed
    (JSON lists), how safe the person felt, and their comment (their words:
    encrypted at rest). One per check-in conversation, so a retry updates it.
    """

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("conversation_id", name="uq_checkins_conversation_id"),)

    id = Column(Integer, primary_key=True)
    outcomes_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    conversation_id = Column(String(255), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    feels_safe_now = Column(String(16))
    added = Column(Text, nullable=False, default="[]")  # JSON list of outcome codes
    withdrawn = Column(Text, nullable=False, default="[]")
    changed = Column(Text, nullable=False, default="[]")
    comment = Column(EncryptedText)  # the person's words: encrypted at rest


class Alert(Base):
    """A duty alert: written in the same transaction as its flag (an outbox), sent by the sender.

    It holds ids, a kind and times only. Never the person's words: an alert
    travels by email and webhook, which are not safe places for them.
    """

    __tablename__ = "alerts"

    id = Column(Integer, primary_key=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    conversation_id = Column(String(255), nullable=False, index=True)
    stage = Column(String(16), nullable=False)
    enquiry_ref = Column(String(64))
    kind = Column(String(32), nullable=False)
    raised_at = Column(DateTime, nullable=False, default=utcnow)
    delivery = Column(String(16), nullable=False, default=c.DELIVERY_RETRYING, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    channels_done = Column(String(64), nullable=False, default="")
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    last_attempt_at = Column(DateTime)
    last_error = Column(String(255))
    sent_at = Column(DateTime)
    claimed_by = Column(String(64))
    claimed_until = Column(DateTime)
    acknowledged_by = Column(String(255))
    acknowledged_at = Column(DateTime)
    # A follow-up (another danger message, a quick exit, an escalation) links to the alert it follows.
    follows_alert_id = Column(Integer, ForeignKey("alerts.id", ondelete="SET NULL"), index=True)
    reason = Column(String(16), nullable=False, default=c.ALERT_REASON_FIRST)
    route = Column(String(16), nullable=False, default=c.ROUTE_DUTY)  # or c.ROUTE_OUT_OF_HOURS
    escalated_at = Column(DateTime)  # on the first: when it went to the out-of-hours route
    message_id = Column(String(64))  # the message that raised it (Rasa's message id)


class AlertAttempt(Base):
    """One try at one channel: kept so a practitioner can see what happened to an alert."""

    __tablename__ = "alert_attempts"

    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    channel = Column(String(16), nullable=False)
    ok = Column(Boolean, nullable=False)
    error = Column(String(255))


class RecordPush(Base):
    """One version of a record, queued for the council's case system (RECORD_PUSH_URL): an outbox row.

    Written in the same transaction as the change that made the version (the
    stage finished, a correction, a check-in), so no change is pushed that was
    not kept, and none kept is missed. It holds ids, a version and times only:
    the body is built from the record when it is sent, so the newest record
    goes, and a newer version makes the older one `superseded`. Unlike an
    alert it is never given up: it is tried until it is delivered or a
    practitioner stops it.
    """

    __tablename__ = "record_pushes"
    __table_args__ = (
        UniqueConstraint("conversation_pk", "version", name="uq_record_pushes_conversation_version"),
        Index("ix_record_pushes_state_next", "state", "next_attempt_at"),  # the sender's claim
    )

    id = Column(Integer, primary_key=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    conversation_id = Column(String(255), nullable=False)
    stage = Column(String(16), nullable=False)
    enquiry_ref = Column(String(64))
    version = Column(Integer, nullable=False)  # 1, 2, 3 ... per record: the receiver keeps the highest
    reason = Column(String(16), nullable=False)  # c.PUSH_REASONS
    state = Column(String(16), nullable=False, default=c.PUSH_QUEUED)
    queued_at = Column(DateTime, nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    last_attempt_at = Column(DateTime)
    last_error = Column(String(255))
    sent_at = Column(DateTime)
    closed_at = Column(DateTime)  # superseded or stopped: when
    stopped_by = Column(String(255))
    claimed_by = Column(String(64))
    claimed_until = Column(DateTime)


class Mark(Base):
    """A message the danger reader marked, and why: a rule's name, or a classifier's kind and score.

    Never the words: the message is found in the transcript by its id.
    """

    __tablename__ = "marks"
    __table_args__ = (Index("ix_marks_tier_read_at", "tier", "read_at"),)  # the unread "worth a look" list

    id = Column(Integer, primary_key=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(DateTime, nullable=False, default=utcnow)
    tier = Column(String(16), nullable=False)  # clear, possible, review
    kind = Column(String(32), nullable=False)  # what kind of danger, or how it was said (a press, an answer)
    reason = Column(String(128))
    message_id = Column(String(64))
    reader_version = Column(String(32), nullable=False)
    # A practitioner read the message (the workspace's "Mark as read"): who and when (migration 0008).
    read_at = Column(DateTime)
    read_by = Column(String(255))


class SignInFailure(Base):
    """Failed sign-ins, counted per address and per account, in a window (every web process shares them)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_sign_in_failures_scope_key"),)

    id = Column(Integer, primary_key=True)
    scope = Column(String(16), nullable=False)  # "address" or "account"
    key = Column(String(255), nullable=False)
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False, default=utcnow)
    last_failure_at = Column(DateTime, nullable=False, default=utcnow)
    blocked_until = Column(DateTime)


class KeyCheck(Base):
    """One row encrypted with the keys in use, so a missing or wrong key is found at start."""

    __tablename__ = "key_check"

    id = Column(Integer, primary_key=True)
    canary = Column(Text, nullable=False)


class Invitation(Base):
    """A signed link a practitioner made, and the conversation it opens (ids only)."""

    __tablename__ = "invitations"

    invite_id = Column(String(64), primary_key=True)
    enquiry_ref = Column(String(64), nullable=False, index=True)
    stage = Column(String(16), nullable=False)
    role = Column(String(16), nullable=False)
    created_by = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    conversation_id = Column(String(255), index=True)
    last_opened_at = Column(DateTime)


class Correction(Base):
    """A practitioner changed an outcome's code. The person's words never change; both codes are kept."""

    __tablename__ = "corrections"

    id = Column(Integer, primary_key=True)
    outcome_pk = Column(Integer, ForeignKey("outcomes.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_pk = Column(
        Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome_index = Column(Integer, nullable=False)
    from_code = Column(String(32), nullable=False)
    to_code = Column(String(32), nullable=False)
    by = Column(String(255), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)


class User(Base):
    """A practitioner or manager who may sign in to the workspace. No default accounts exist."""

    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    failed_sign_ins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    last_sign_in_at = Column(DateTime)


class AuditEvent(Base):
    """Who read, exported, changed or signed in, when and from where: special category data needs a trail.

    Append-only: the app never updates or deletes a row, and database triggers
    (migration 0004) refuse it too. Entries hold references, ids, actors and
    times, never a person's words.
    """

    __tablename__ = "audit_events"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(255), nullable=False)
    action = Column(String(32), nullable=False, index=True)
    detail = Column(Text)
    address = Column(String(64))
