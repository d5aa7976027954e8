"""conversation snapshots: a conversation loads from its kept state, not by folding its whole stream

Revision ID: router_0006
Revises: router_0005
Create Date: 2026-12-07

``conversation_snapshots`` holds each conversation's bounded state as of a version of its stream, and
``conversation_messages`` what it remembers per message (read only for the messages a decision is about). Both are
written in the transaction that appends the events. Nothing is backfilled: a conversation without a snapshot (every
one before this revision) is folded from its events once, and its next append writes the snapshot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "router_0006"
down_revision = "router_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_snapshots",
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("arrived", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("wamid", sa.Text(), nullable=True),
        sa.Column("sent_as", sa.Text(), nullable=True),
        sa.Column("delivery", sa.Text(), nullable=True),
        sa.Column("requested", sa.Boolean(), nullable=False),
        sa.Column("media", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", "message_id", name="conversation_messages_pkey"),
    )
    op.create_index("conversation_messages_wamid", "conversation_messages", ["conversation_id", "wamid"])
    op.create_index("conversation_messages_sent_as", "conversation_messages", ["conversation_id", "sent_as"])


def downgrade() -> None:
    op.drop_table("conversation_messages")
    op.drop_table("conversation_snapshots")
