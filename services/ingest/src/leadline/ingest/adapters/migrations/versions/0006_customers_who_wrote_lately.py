"""an index of the customers who wrote lately: the profile-photo worker's one query per round stays cheap

Revision ID: ingest_0006
Revises: ingest_0005
"""

from alembic import op

revision = "ingest_0006"
down_revision = "ingest_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "inbound_messages_from_customers",
        "inbound_messages",
        ["received_at"],
        postgresql_where="origin = 'customer'",
    )


def downgrade() -> None:
    op.drop_index("inbound_messages_from_customers", table_name="inbound_messages")
