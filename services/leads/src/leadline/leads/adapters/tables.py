"""The leads service's own tables (its database is its alone).

Invariants held by the database:
- ``lead_events`` primary key (lead_id, version): of two concurrent changes to one lead, one is stored;
- ``add_lead_sagas`` primary key (account, idempotency key): a retried "Add lead" finds its saga;
  ``one_new_lead_per_conversation``: a conversation makes at most one new lead (attaching it to an
  existing lead twice is harmless: the lead counts a conversation once);
- ``one_open_conflict_per_customer`` (by mobile) and ``one_open_conflict_per_whatsapp_user`` (by BSUID): a
  customer's conflict is recorded (and announced) once.
``lead_snapshots``: each lead's state, written with its events and read instead of folding them (``lead_store.py``).
Everything else is a projection: ``leads`` of ``lead_events``; ``conversation_activity`` of the router's
conversations topic; ``account_settings``, ``teams``, ``agents``, ``business_numbers`` of its integration topic.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from leadline.platform.event_store import event_table

metadata = MetaData()

lead_events = event_table(metadata, "lead_events", stream_column="lead_id", stream_type=UUID(as_uuid=True))

leads = Table(
    "leads",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("merged_into", UUID(as_uuid=True), nullable=True),
    Column("name", Text, nullable=False),
    Column("customer_phone", Text, nullable=True),  # the mobile (E.164): a unification key
    Column("whatsapp_user_id", Text, nullable=True),  # the customer's BSUID: the other unification key
    Column("whatsapp_username", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("vehicle_of_interest", Text, nullable=True),
    Column("notes", Text, nullable=True),
    Column("owner_id", Text, nullable=False),
    Column("owner_name", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("temperature", Text, nullable=True),
    Column("temperature_reasons", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("temperature_changed_at", DateTime(timezone=True), nullable=True),
    Column("review_temperature_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("leads_by_customer", "account_id", "customer_phone"),
    Index("leads_by_whatsapp_user", "account_id", "whatsapp_user_id"),
    Index(
        "leads_temperature_review", "review_temperature_at", postgresql_where=text("review_temperature_at IS NOT NULL")
    ),
)

add_lead_sagas = Table(
    "add_lead_sagas",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("lead_id", UUID(as_uuid=True), nullable=False),
    Column("attaches", Boolean, nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("agent_name", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("customer_phone", Text, nullable=True),
    Column("whatsapp_user_id", Text, nullable=True),
    Column("details", JSONB, nullable=False),
    Column("state", Text, nullable=False),
    Column("abandon_reason", Text, nullable=True),
    Column("refusal", JSONB, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("account_id", "idempotency_key", name="add_lead_sagas_key"),
    Index(
        "one_new_lead_per_conversation",
        "conversation_id",
        unique=True,
        postgresql_where=text("state = 'created' AND NOT attaches"),
    ),
    Index("add_lead_sagas_pending", "started_at", postgresql_where=text("state = 'pending'")),
    Index("add_lead_sagas_customer", "account_id", "customer_phone"),
    Index("add_lead_sagas_whatsapp_user", "account_id", "whatsapp_user_id"),
    Index("add_lead_sagas_lead", "lead_id"),
)

lead_conflicts = Table(
    "lead_conflicts",
    metadata,
    Column("conflict_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("customer_phone", Text, nullable=True),
    Column("whatsapp_user_id", Text, nullable=True),
    Column("lead_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("team_ids", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),
    Column("kept_lead_id", UUID(as_uuid=True), nullable=True),
    Column("resolved_by", Text, nullable=True),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Index(
        "one_open_conflict_per_customer",
        "account_id",
        "customer_phone",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
    Index(
        "one_open_conflict_per_whatsapp_user",
        "account_id",
        "whatsapp_user_id",
        unique=True,
        postgresql_where=text("status = 'open' AND whatsapp_user_id IS NOT NULL"),
    ),
)

conversation_activity = Table(
    "conversation_activity",
    metadata,
    Column("conversation_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("lead_id", UUID(as_uuid=True), nullable=True),
    Column("opened_by", Text, nullable=True),
    Column("phone_number_id", Text, nullable=True),
    Column("business_display_number", Text, nullable=True),
    Column("customer_phone", Text, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=True),
    Column("first_message_kind", Text, nullable=True),
    Column("first_message_text", Text, nullable=True),
    Column("first_message_at", DateTime(timezone=True), nullable=True),
    Column("open", Boolean, nullable=False, server_default=text("true")),
    Column("last_customer_message_at", DateTime(timezone=True), nullable=True),
    Column("last_dealer_message_at", DateTime(timezone=True), nullable=True),
    Column("waiting_since", DateTime(timezone=True), nullable=True),
    Column("last_speaker", Text, nullable=True),
    Column("exchanges", Integer, nullable=False, server_default=text("0")),
    Column("customer_messages", Integer, nullable=False, server_default=text("0")),
    Column("last_answer_delay_s", Integer, nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("last_activity_at", DateTime(timezone=True), nullable=True),
    # the router's sequence of the last event folded into the row: a redelivered event is recognised with the row
    Column("last_sequence", Integer, nullable=False, server_default=text("0")),
    Index("conversation_activity_lead", "lead_id"),
)

account_settings = Table(
    "account_settings",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("lead_unification", Boolean, nullable=False),
    Column("process_type", Integer, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    PrimaryKeyConstraint("account_id", "team_id"),
)

agents = Table(
    "agents",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("team_ids", ARRAY(Text), nullable=False),
    Column("active", Boolean, nullable=False),
    PrimaryKeyConstraint("account_id", "agent_id"),
)

business_numbers = Table(
    "business_numbers",
    metadata,
    Column("phone_number_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("display_phone_number", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("team_ids", ARRAY(Text), nullable=False),
    Index("business_numbers_account", "account_id"),
)

lead_snapshots = Table(
    "lead_snapshots",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("version", Integer, nullable=False),  # the stream's last event it holds
    Column("format", Text, nullable=False),  # a snapshot of another format (or events' versions) is folded again
    Column("state", JSONB, nullable=False),
)
