"""Marks a person has read: "worth a look" messages are read the same day, and who read each is kept.

- marks: `read_at` and `read_by` (null until a practitioner marks it as read
  in the workspace; the audit log has the same entry), and an index on
  (tier, read_at) for the first page's list and count of those not yet read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("marks") as batch:
        batch.add_column(sa.Column("read_at", sa.DateTime()))
        batch.add_column(sa.Column("read_by", sa.String(255)))
    op.create_index("ix_marks_tier_read_at", "marks", ["tier", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_marks_tier_read_at", table_name="marks")
    with op.batch_alter_table("marks") as batch:
        batch.drop_column("read_by")
        batch.drop_column("read_at")
