"""Advocacy (issue 18, part 2): the signs that taking part is hard, the offer, and a practitioner's decision.

- conversations.advocacy_needed: the flag, beside the other flags.
- advocacy: one row per record: the reasons noticed (codes, never words), when
  an advocate was offered and the answer, and the referral (date,
  organisation) or why none is needed, with who decided and when.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("advocacy_needed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "advocacy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_pk", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("reasons", sa.String(255)),
        sa.Column("noticed_at", sa.DateTime()),
        sa.Column("offered_at", sa.DateTime()),
        sa.Column("offer_answer", sa.String(16)),
        sa.Column("decision", sa.String(16)),
        sa.Column("referred_on", sa.Date()),
        sa.Column("organisation", sa.String(255)),
        sa.Column("no_referral_reason", sa.String(32)),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("decided_at", sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table("advocacy")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("advocacy_needed")
