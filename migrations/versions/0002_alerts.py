"""Duty alerts: an outbox row written with its flag, and each delivery attempt.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_pk",
            sa.Integer(),
            sa.ForeignKey("conversations.id", ondelete="SET NULL"),
        ),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("enquiry_ref", sa.String(64)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("channels_done", sa.String(64), nullable=False, server_default=""),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime()),
        sa.Column("last_error", sa.String(255)),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", sa.DateTime()),
        sa.Column("acknowledged_by", sa.String(255)),
        sa.Column("acknowledged_at", sa.DateTime()),
    )
    op.create_index("ix_alerts_conversation_pk", "alerts", ["conversation_pk"])
    op.create_index("ix_alerts_conversation_id", "alerts", ["conversation_id"])
    op.create_index("ix_alerts_delivery", "alerts", ["delivery"])
    op.create_table(
        "alert_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey("alerts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(255)),
    )
    op.create_index("ix_alert_attempts_alert_id", "alert_attempts", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_attempts_alert_id", table_name="alert_attempts")
    op.drop_table("alert_attempts")
    op.drop_index("ix_alerts_delivery", table_name="alerts")
    op.drop_index("ix_alerts_conversation_id", table_name="alerts")
    op.drop_index("ix_alerts_conversation_pk", table_name="alerts")
    op.drop_table("alerts")
