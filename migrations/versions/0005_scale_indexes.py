"""Indexes for 100,000 enquiries: the streamed export's keyset, and the workspace's list and search.

- (started_at, id): `msp export` reads newest first in batches, each starting
  after the last row's (started_at, id); with this index a batch is a short
  index range, not a sort of the whole table.
- (updated_at, id) and (status, updated_at, id): the workspace lists records
  by last activity, newest first, 25 at a time, optionally of one status.
- lower(enquiry_ref): the search is a case-blind prefix of the reference. On
  PostgreSQL the index uses text_pattern_ops, so `LIKE 'nr-2026%'` can use it
  whatever the database's collation; SQLite's lower() is ASCII-only and its
  index serves a range (>= prefix, < the next prefix).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversations_started_at_id", "conversations", ["started_at", "id"])
    op.create_index("ix_conversations_updated_at_id", "conversations", ["updated_at", "id"])
    op.create_index("ix_conversations_status_updated_at", "conversations", ["status", "updated_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_conversations_enquiry_ref_lower", "conversations",
            [sa.text("lower(enquiry_ref) text_pattern_ops")],
        )
    else:
        op.create_index(
            "ix_conversations_enquiry_ref_lower", "conversations", [sa.text("lower(enquiry_ref)")]
        )


def downgrade() -> None:
    op.drop_index("ix_conversations_enquiry_ref_lower", table_name="conversations")
    op.drop_index("ix_conversations_status_updated_at", table_name="conversations")
    op.drop_index("ix_conversations_updated_at_id", table_name="conversations")
    op.drop_index("ix_conversations_started_at_id", table_name="conversations")
