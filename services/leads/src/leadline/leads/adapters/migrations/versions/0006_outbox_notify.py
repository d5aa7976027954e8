"""the outbox wakes the relays itself: a trigger sends the NOTIFY a writer used to send as a statement of its own

Revision ID: leads_0006
Revises: leads_0005
"""

from leadline.platform.migration_ops import create_outbox_notify_v1, drop_outbox_notify_v1

revision = "leads_0006"
down_revision = "leads_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify_v1()


def downgrade() -> None:
    drop_outbox_notify_v1()
