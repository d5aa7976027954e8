"""customers keep their WhatsApp profile photo; WhatsApp Web numbers' connection state

Revision ID: router_0008
Revises: router_0007
Create Date: 2026-12-07

From ``ingest.contact.profile_photo_changed``: the key and sha256 of the photo in the media store (the page reads it
through the router's customer-photo route), and when it changed, so an older change arriving late loses.
``number_connections``: each Evolution (WhatsApp Web) number's latest ``ingest.number.connection_changed``, for the
admins' notice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "router_0008"
down_revision = "router_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("photo_key", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("photo_sha256", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("photo_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "number_connections",
        sa.Column("phone_number_id", sa.Text(), primary_key=True),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("connection", sa.Text(), nullable=False),
        sa.Column("needs_qr_code", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("number_connections")
    op.drop_column("customers", "photo_changed_at")
    op.drop_column("customers", "photo_sha256")
    op.drop_column("customers", "photo_key")
