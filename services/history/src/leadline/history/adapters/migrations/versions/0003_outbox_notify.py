"""the outbox wakes the relays itself: a trigger sends the NOTIFY a writer used to send as a statement of its own

Revision ID: history_0003
Revises: history_0002
"""

from leadline.platform.migration_ops import create_outbox_notify_v1, drop_outbox_notify_v1

revision = "history_0003"
down_revision = "history_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    drop_outbox_notify_v1()
