"""account configuration

Revision ID: router_0003
Revises: router_0002
Create Date: 2026-11-26 07:16:57.868660
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "router_0003"
down_revision = "router_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("process_type", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("lead_unification", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("pool_wait_alert_seconds", sa.Integer(), server_default=sa.text("300"), nullable=False),
        sa.Column("config_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "agents",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "agent_id"),
    )
    op.create_table(
        "business_numbers",
        sa.Column("phone_number_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("display_number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id"),
    )
    op.create_index(op.f("ix_business_numbers_account_id"), "business_numbers", ["account_id"], unique=False)
    op.create_table(
        "teams",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "team_id"),
    )


def downgrade() -> None:
    op.drop_table("teams")
    op.drop_index(op.f("ix_business_numbers_account_id"), table_name="business_numbers")
    op.drop_table("business_numbers")
    op.drop_table("agents")
    op.drop_table("accounts")
