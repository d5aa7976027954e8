"""message templates: each WhatsApp Business Account's templates, and which account each number belongs to

Revision ID: ingest_0004
Revises: ingest_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ingest_0004"
down_revision = "ingest_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("business_numbers", sa.Column("waba_id", sa.Text(), nullable=True))
    op.create_table(
        "message_templates",
        sa.Column("waba_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("header", sa.Text(), nullable=True),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("buttons", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("example", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("waba_id", "name", "language"),
        comment="Each WhatsApp Business Account's templates as Meta last listed them (any status; the page offers APPROVED).",
    )
    op.create_table(
        "template_syncs",
        sa.Column("waba_id", sa.Text(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("waba_id"),
    )


def downgrade() -> None:
    op.drop_table("template_syncs")
    op.drop_table("message_templates")
    op.drop_column("business_numbers", "waba_id")
