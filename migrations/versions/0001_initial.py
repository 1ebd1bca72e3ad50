"""The MSP record: conversations, outcomes, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("enquiry_ref", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("speaker_role", sa.String(16)),
        sa.Column("consent_to_talk", sa.String(16)),
        sa.Column("feels_safe_now", sa.String(16)),
        sa.Column("wants_advocate", sa.String(16)),
        sa.Column("asked_about_outcomes", sa.String(32)),
        sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("goals_met", sa.String(16)),
        sa.Column("chance_to_say", sa.String(16)),
        sa.Column("listened_to", sa.String(16)),
        sa.Column("acted_on_wishes", sa.String(16)),
        sa.Column("feel_safe", sa.String(16)),
        sa.Column("happier", sa.String(16)),
        sa.Column("comments", sa.Text()),
        sa.Column("urgent_safety", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("advocacy_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("wants_human_contact", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("conversation_id", "stage", name="uq_conversation_stage"),
    )
    op.create_index("ix_conversations_conversation_id", "conversations", ["conversation_id"])
    op.create_index("ix_conversations_enquiry_ref", "conversations", ["enquiry_ref"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_pk",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("own_words", sa.Text(), nullable=False),
        sa.Column(
            "may_not_be_achievable", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        sa.Column("achieved", sa.String(16)),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("conversation_pk", "code", name="uq_outcome_code"),
    )
    op.create_index("ix_outcomes_conversation_pk", "outcomes", ["conversation_pk"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_index("ix_outcomes_conversation_pk", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_index("ix_conversations_enquiry_ref", table_name="conversations")
    op.drop_index("ix_conversations_conversation_id", table_name="conversations")
    op.drop_table("conversations")
