"""leads tables

Revision ID: leads_0002
Revises: leads_0001
Create Date: 2026-11-26 08:02:33.229084
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "leads_0002"
down_revision = "leads_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_settings",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("lead_unification", sa.Boolean(), nullable=False),
        sa.Column("process_type", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "add_lead_sagas",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("attaches", sa.Boolean(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("agent_name", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("customer_phone", sa.Text(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("abandon_reason", sa.Text(), nullable=True),
        sa.Column("refusal", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "idempotency_key", name="add_lead_sagas_key"),
    )
    op.create_index("add_lead_sagas_customer", "add_lead_sagas", ["account_id", "customer_phone"], unique=False)
    op.create_index("add_lead_sagas_lead", "add_lead_sagas", ["lead_id"], unique=False)
    op.create_index(
        "add_lead_sagas_pending",
        "add_lead_sagas",
        ["started_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "one_new_lead_per_conversation",
        "add_lead_sagas",
        ["conversation_id"],
        unique=True,
        postgresql_where=sa.text("state = 'created' AND NOT attaches"),
    )
    op.create_table(
        "agents",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "agent_id"),
    )
    op.create_table(
        "business_numbers",
        sa.Column("phone_number_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("display_phone_number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id"),
    )
    op.create_index("business_numbers_account", "business_numbers", ["account_id"], unique=False)
    op.create_table(
        "conversation_activity",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("opened_by", sa.Text(), nullable=True),
        sa.Column("phone_number_id", sa.Text(), nullable=True),
        sa.Column("business_display_number", sa.Text(), nullable=True),
        sa.Column("customer_phone", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_message_kind", sa.Text(), nullable=True),
        sa.Column("first_message_text", sa.Text(), nullable=True),
        sa.Column("first_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_customer_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_dealer_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_speaker", sa.Text(), nullable=True),
        sa.Column("exchanges", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("customer_messages", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_answer_delay_s", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("conversation_activity_lead", "conversation_activity", ["lead_id"], unique=False)
    op.create_table(
        "lead_conflicts",
        sa.Column("conflict_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("customer_phone", sa.Text(), nullable=False),
        sa.Column("lead_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("team_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("kept_lead_id", sa.UUID(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("conflict_id"),
    )
    op.create_index(
        "one_open_conflict_per_customer",
        "lead_conflicts",
        ["account_id", "customer_phone"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "lead_events",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("causation_id", sa.UUID(), nullable=True),
        sa.Column("correlation_id", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", "version", name="lead_events_stream_version"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("position"),
    )
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("merged_into", sa.UUID(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("customer_phone", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("vehicle_of_interest", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("temperature", sa.Text(), nullable=True),
        sa.Column(
            "temperature_reasons",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("temperature_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_temperature_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index("leads_by_customer", "leads", ["account_id", "customer_phone"], unique=False)
    op.create_index(
        "leads_temperature_review",
        "leads",
        ["review_temperature_at"],
        unique=False,
        postgresql_where=sa.text("review_temperature_at IS NOT NULL"),
    )
    op.create_table(
        "teams",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "team_id"),
    )


def downgrade() -> None:
    op.drop_table("teams")
    op.drop_index(
        "leads_temperature_review", table_name="leads", postgresql_where=sa.text("review_temperature_at IS NOT NULL")
    )
    op.drop_index("leads_by_customer", table_name="leads")
    op.drop_table("leads")
    op.drop_table("lead_events")
    op.drop_index(
        "one_open_conflict_per_customer", table_name="lead_conflicts", postgresql_where=sa.text("status = 'open'")
    )
    op.drop_table("lead_conflicts")
    op.drop_index("conversation_activity_lead", table_name="conversation_activity")
    op.drop_table("conversation_activity")
    op.drop_index("business_numbers_account", table_name="business_numbers")
    op.drop_table("business_numbers")
    op.drop_table("agents")
    op.drop_index(
        "one_new_lead_per_conversation",
        table_name="add_lead_sagas",
        postgresql_where=sa.text("state = 'created' AND NOT attaches"),
    )
    op.drop_index("add_lead_sagas_pending", table_name="add_lead_sagas", postgresql_where=sa.text("state = 'pending'"))
    op.drop_index("add_lead_sagas_lead", table_name="add_lead_sagas")
    op.drop_index("add_lead_sagas_customer", table_name="add_lead_sagas")
    op.drop_table("add_lead_sagas")
    op.drop_table("account_settings")
