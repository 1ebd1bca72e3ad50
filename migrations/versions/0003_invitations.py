"""Invitations: the signed links practitioners make, and the conversation each opens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("invite_id", sa.String(64), primary_key=True),
        sa.Column("enquiry_ref", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("conversation_id", sa.String(255)),
        sa.Column("last_opened_at", sa.DateTime()),
    )
    op.create_index("ix_invitations_enquiry_ref", "invitations", ["enquiry_ref"])
    op.create_index("ix_invitations_conversation_id", "invitations", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_invitations_conversation_id", table_name="invitations")
    op.drop_index("ix_invitations_enquiry_ref", table_name="invitations")
    op.drop_table("invitations")
