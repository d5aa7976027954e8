"""outbox, inbox and stream positions

Revision ID: router_0001
Revises:
"""

from leadline.platform.migration_ops import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "router_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
