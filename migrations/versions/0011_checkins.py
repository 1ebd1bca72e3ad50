"""Check-ins (issue 18, part 1): the dated entries a check-in makes on the enquiry's outcomes record.

- checkins: one row per check-in conversation on the outcomes record it
  changed (outcomes_pk), one per check-in conversation: when, the check-in's conversation id, how safe the
  person felt, the codes added, taken away and changed (JSON lists), and the
  person's comment (their words: encrypted at rest, removed by retention).
- outcomes.added_in: the conversation that stated the wish (the first
  conversation, or a check-in).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("added_in", sa.String(255)))
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outcomes_pk", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("feels_safe_now", sa.String(16)),
        sa.Column("added", sa.Text(), nullable=False),
        sa.Column("withdrawn", sa.Text(), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text()),
        # One entry per check-in conversation: a retried action updates it, never adds a second.
        sa.UniqueConstraint("conversation_id", name="uq_checkins_conversation_id"),
    )
    op.create_index("ix_checkins_outcomes_pk", "checkins", ["outcomes_pk"])


def downgrade() -> None:
    op.drop_table("checkins")
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("added_in")
