"""business numbers connected through an Evolution API instance

Revision ID: ingest_0005
Revises: ingest_0004

``provider``: ``cloud_api`` (every number before) or ``evolution``; an Evolution number's instance is its server's
base URL, its name and the name of the secret holding its API key (the key is never stored).
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0005"
down_revision = "ingest_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "business_numbers", sa.Column("provider", sa.Text(), nullable=False, server_default=sa.text("'cloud_api'"))
    )
    op.add_column("business_numbers", sa.Column("evolution_base_url", sa.Text(), nullable=True))
    op.add_column("business_numbers", sa.Column("evolution_instance", sa.Text(), nullable=True))
    op.add_column("business_numbers", sa.Column("evolution_api_key_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("evolution_api_key_secret", "evolution_instance", "evolution_base_url", "provider"):
        op.drop_column("business_numbers", column)
