"""quarantined_deliveries.part_path: where in its delivery an unreadable part was (null: the whole body)

Revision ID: ingest_0003
Revises: ingest_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0003"
down_revision = "ingest_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("quarantined_deliveries", sa.Column("part_path", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("quarantined_deliveries", "part_path")
