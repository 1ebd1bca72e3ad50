"""Answers kept as given, the team hears every danger, sign-in that cannot lock the owner out.

- outcomes: two wishes may share a code (each keeps its own words), so the
  unique (conversation, code) goes. A wish taken away is marked withdrawn
  (when, by which conversation, why), never deleted. `chosen`: picked with a
  button, so it has no words of the person's own. `visit`: a hash of the
  browser visit that wrote it; its words are read back only in that visit.
- conversations: the safe-contact answers (is it safe to call, when, which
  number, might someone else answer, what if the call cannot be taken); the
  free-text ones are the person's words, encrypted like them.
- alerts: a follow-up links to the alert it follows (another danger message,
  a quick exit, an escalation), with the reason; `route` is `duty` or
  `out_of_hours`; `escalated_at` on the first; `message_id` names the
  message that raised it, so the workspace can link to it.
- marks: every message the danger reader marked (clear, possible, review),
  with why and the reader's version. No words.
- sign_in_failures: failed sign-ins counted per address and per account in
  the database, so every web process sees the same counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_constraint("uq_outcome_code", type_="unique")
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime()))
        batch.add_column(sa.Column("withdrawn_in", sa.String(255)))
        batch.add_column(sa.Column("withdrawn_reason", sa.String(16)))
        batch.add_column(sa.Column("chosen", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("visit", sa.String(64)))
    op.create_index("ix_outcomes_conversation_code", "outcomes", ["conversation_pk", "code"])

    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("contact_safe_to_call", sa.String(16)))
        batch.add_column(sa.Column("contact_when", sa.Text()))
        batch.add_column(sa.Column("contact_number", sa.Text()))
        batch.add_column(sa.Column("contact_others_answer", sa.String(16)))
        batch.add_column(sa.Column("contact_if_missed", sa.Text()))
        batch.add_column(sa.Column("contact_answered_at", sa.DateTime()))

    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("follows_alert_id", sa.Integer(), sa.ForeignKey(
            "alerts.id", name="fk_alerts_follows", ondelete="SET NULL")))
        batch.add_column(sa.Column("reason", sa.String(16), nullable=False, server_default="first"))
        batch.add_column(sa.Column("route", sa.String(16), nullable=False, server_default="duty"))
        batch.add_column(sa.Column("escalated_at", sa.DateTime()))
        batch.add_column(sa.Column("message_id", sa.String(64)))
    op.create_index("ix_alerts_follows_alert_id", "alerts", ["follows_alert_id"])

    op.create_table(
        "marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_pk", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(128)),
        sa.Column("message_id", sa.String(64)),
        sa.Column("reader_version", sa.String(32), nullable=False),
    )

    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime()),
        sa.UniqueConstraint("scope", "key", name="uq_sign_in_failures_scope_key"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("marks")
    op.drop_index("ix_alerts_follows_alert_id", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("message_id")
        batch.drop_column("escalated_at")
        batch.drop_column("route")
        batch.drop_column("reason")
        batch.drop_constraint("fk_alerts_follows", type_="foreignkey")
        batch.drop_column("follows_alert_id")
    with op.batch_alter_table("conversations") as batch:
        for column in ("contact_answered_at", "contact_if_missed", "contact_others_answer",
                       "contact_number", "contact_when", "contact_safe_to_call"):
            batch.drop_column(column)
    op.drop_index("ix_outcomes_conversation_code", table_name="outcomes")
    with op.batch_alter_table("outcomes") as batch:
        for column in ("visit", "chosen", "withdrawn_reason", "withdrawn_in", "withdrawn_at"):
            batch.drop_column(column)
        batch.create_unique_constraint("uq_outcome_code", ["conversation_pk", "code"])
