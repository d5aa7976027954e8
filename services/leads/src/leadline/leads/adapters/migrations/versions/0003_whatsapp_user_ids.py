"""leads reached on WhatsApp without a number: the customer's BSUID beside the mobile

Revision ID: leads_0003
Revises: leads_0002
Create Date: 2026-11-30

A customer who hides their number on WhatsApp is known by their business-scoped user id (BSUID): leads,
pending Add leads and conflicts keep it beside the mobile, which may now be missing (until the customer shares it).
"""

import sqlalchemy as sa
from alembic import op

revision = "leads_0003"
down_revision = "leads_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("whatsapp_user_id", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("whatsapp_username", sa.Text(), nullable=True))
    op.alter_column("leads", "customer_phone", nullable=True)
    op.create_index("leads_by_whatsapp_user", "leads", ["account_id", "whatsapp_user_id"])
    op.add_column("add_lead_sagas", sa.Column("whatsapp_user_id", sa.Text(), nullable=True))
    op.alter_column("add_lead_sagas", "customer_phone", nullable=True)
    op.create_index("add_lead_sagas_whatsapp_user", "add_lead_sagas", ["account_id", "whatsapp_user_id"])
    op.add_column("lead_conflicts", sa.Column("whatsapp_user_id", sa.Text(), nullable=True))
    op.alter_column("lead_conflicts", "customer_phone", nullable=True)
    op.create_index(
        "one_open_conflict_per_whatsapp_user",
        "lead_conflicts",
        ["account_id", "whatsapp_user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open' AND whatsapp_user_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("one_open_conflict_per_whatsapp_user", table_name="lead_conflicts")
    op.drop_column("lead_conflicts", "whatsapp_user_id")
    op.drop_index("add_lead_sagas_whatsapp_user", table_name="add_lead_sagas")
    op.drop_column("add_lead_sagas", "whatsapp_user_id")
    op.drop_index("leads_by_whatsapp_user", table_name="leads")
    op.drop_column("leads", "whatsapp_username")
    op.drop_column("leads", "whatsapp_user_id")
