"""unaccent: the inbox finds "Júlia" when an agent types "julia"; business numbers name their WhatsApp Business Account

Revision ID: router_0005
Revises: router_0004
Create Date: 2026-11-29

PostgreSQL's own unaccent extension (contrib; trusted, so a database owner may create it; history's timeline
search uses it too) strips the accents of a customer's name in the inbox search (``adapters/queries.py``).
``business_numbers.waba_id``: the WhatsApp Business Account a number belongs to, where ingest reads its approved
templates (nullable: numbers configured before say nothing until their administrator does).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "router_0005"
down_revision = "router_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.add_column("business_numbers", sa.Column("waba_id", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("business_numbers", "waba_id")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
