"""the outbox wakes the relays itself: a trigger sends the NOTIFY a writer used to send as a statement of its own

Revision ID: ingest_0007
Revises: ingest_0006
"""

from leadline.platform.migration_ops import create_outbox_notify_v1, drop_outbox_notify_v1

revision = "ingest_0007"
down_revision = "ingest_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    drop_outbox_notify_v1()
