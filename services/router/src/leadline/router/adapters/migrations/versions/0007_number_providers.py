"""business numbers say how they reach WhatsApp: the Cloud API or an Evolution API instance

Revision ID: router_0007
Revises: router_0006
Create Date: 2026-12-07

``provider`` is ``cloud_api`` (every number configured before) or ``evolution``; an Evolution number names its
instance: the server's base URL, the instance's name and the name of the secret holding its API key (the key itself
is only in ingest's secret, never here).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "router_0007"
down_revision = "router_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "business_numbers", sa.Column("provider", sa.Text(), nullable=False, server_default=sa.text("'cloud_api'"))
    )
    op.add_column("business_numbers", sa.Column("evolution_base_url", sa.Text(), nullable=True))
    op.add_column("business_numbers", sa.Column("evolution_instance", sa.Text(), nullable=True))
    op.add_column("business_numbers", sa.Column("evolution_api_key_secret", sa.Text(), nullable=True))
    op.create_check_constraint(
        "business_numbers_evolution_numbers_name_their_instance",
        "business_numbers",
        "(provider = 'evolution') = (evolution_instance IS NOT NULL)",
    )


def downgrade() -> None:
    op.drop_constraint("business_numbers_evolution_numbers_name_their_instance", "business_numbers")
    for column in ("evolution_api_key_secret", "evolution_instance", "evolution_base_url", "provider"):
        op.drop_column("business_numbers", column)
