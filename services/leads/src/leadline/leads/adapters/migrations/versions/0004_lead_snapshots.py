"""lead snapshots: a lead loads from its kept state, not by folding its whole stream

Revision ID: leads_0004
Revises: leads_0003
Create Date: 2026-12-07

Written in the transaction that appends the lead's events. Nothing is backfilled: a lead without a snapshot (every
one before this revision) is folded from its events, and its next append writes the snapshot.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "leads_0004"
down_revision = "leads_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_snapshots",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )


def downgrade() -> None:
    op.drop_table("lead_snapshots")
