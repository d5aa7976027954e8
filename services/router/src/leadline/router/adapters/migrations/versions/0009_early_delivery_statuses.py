"""delivery statuses that arrive before their message's send result are kept until it arrives

Revision ID: router_0009
Revises: router_0008
Create Date: 2026-12-07

WhatsApp reports a sent message's status on the chat's lane (``whatsapp.inbound``) while ingest's send result, which
tells the router the message's wamid, comes on the conversation's lane (``whatsapp.outbound``): decided at once, the
status could find no message and was dropped, so the message stayed "sent" although it was delivered or read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "router_0009"
down_revision = "router_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_delivery_statuses",
        sa.Column("wamid", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("payload", JSONB(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("wamid", "status", name="early_delivery_statuses_pkey"),
    )
    op.create_index("early_delivery_statuses_by_age", "early_delivery_statuses", ["kept_at"])


def downgrade() -> None:
    op.drop_table("early_delivery_statuses")
