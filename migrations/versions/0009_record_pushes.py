"""Record pushes: each version of a record queued for the council's case system (issue 18, part 3).

- record_pushes: an outbox of its own kind beside `alerts`, so pushes keep
  their own listing (`msp pushes`) and retry policy (never given up). One row
  per (conversation, version); ids, a version and times only, never words.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-16
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_pushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_pk", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("enquiry_ref", sa.String(64)),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime()),
        sa.Column("last_error", sa.String(255)),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("stopped_by", sa.String(255)),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", sa.DateTime()),
        sa.UniqueConstraint("conversation_pk", "version", name="uq_record_pushes_conversation_version"),
    )
    op.create_index("ix_record_pushes_conversation_pk", "record_pushes", ["conversation_pk"])
    op.create_index("ix_record_pushes_state_next", "record_pushes", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_record_pushes_state_next", table_name="record_pushes")
    op.drop_index("ix_record_pushes_conversation_pk", table_name="record_pushes")
    op.drop_table("record_pushes")
