"""Privacy: a key check row, and when retention removed a conversation's words.

The person's words (outcomes.own_words, conversations.comments) stay Text
columns: they now hold ciphertext, written by bot.store.crypto.EncryptedText.
Rows written before this release are still plain; `msp rotate-key` encrypts them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("canary", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("words_removed_at", sa.DateTime()))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("words_removed_at")
    op.drop_table("key_check")
