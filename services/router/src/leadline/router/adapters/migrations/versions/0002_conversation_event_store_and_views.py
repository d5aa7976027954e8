"""conversation event store and views

Revision ID: router_0002
Revises: router_0001
Create Date: 2026-11-26 07:16:41.819675
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "router_0002"
down_revision = "router_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("phone_number_id", sa.Text(), nullable=False),
        sa.Column("customer_wa_id", sa.Text(), nullable=False),
        sa.Column("last_customer_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_conversation_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "phone_number_id", "customer_wa_id"),
    )
    op.create_table(
        "conversation_view",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("phone_number_id", sa.Text(), nullable=False),
        sa.Column("business_display_number", sa.Text(), nullable=False),
        sa.Column("customer_wa_id", sa.Text(), nullable=False),
        sa.Column("customer_phone", sa.Text(), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False),
        sa.Column("pool_team_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_team_id", sa.Text(), nullable=True),
        sa.Column("owner_can_send", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("collaborator_ids", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_preview", sa.Text(), nullable=True),
        sa.Column("last_direction", sa.Text(), nullable=True),
        sa.Column("transfer_note", sa.Text(), nullable=True),
        sa.Column("pool_wait_alerted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("was_in_pool", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index(
        "conversation_view_inbox", "conversation_view", ["account_id", "status", "last_activity_at"], unique=False
    )
    op.create_index("conversation_view_lead", "conversation_view", ["lead_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("stream_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("causation_id", sa.UUID(), nullable=True),
        sa.Column("correlation_id", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("stream_id", "version", name="events_stream_version"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("position"),
    )
    op.create_table(
        "lead_owners",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("temperature", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_table(
        "message_view",
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("wamid", sa.Text(), nullable=True),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("sender_id", sa.Text(), nullable=True),
        sa.Column("sender_name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery", sa.Text(), nullable=True),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index("message_view_conversation", "message_view", ["conversation_id", "seq"], unique=False)
    op.create_index("message_view_wamid", "message_view", ["wamid"], unique=False)
    op.create_table(
        "open_conversations",
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("phone_number_id", sa.Text(), nullable=False),
        sa.Column("customer_wa_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "phone_number_id", "customer_wa_id", name="one_open_conversation_per_chat"
        ),
        sa.UniqueConstraint("conversation_id"),
    )


def downgrade() -> None:
    op.drop_table("open_conversations")
    op.drop_index("message_view_wamid", table_name="message_view")
    op.drop_index("message_view_conversation", table_name="message_view")
    op.drop_table("message_view")
    op.drop_table("lead_owners")
    op.drop_table("events")
    op.drop_index("conversation_view_lead", table_name="conversation_view")
    op.drop_index("conversation_view_inbox", table_name="conversation_view")
    op.drop_table("conversation_view")
    op.drop_table("chats")
