"""The router's own tables: the event store, the invariants it guards, and the query projections.

Invariants held by the database:
- ``events`` primary key (stream_id, version): an append with a stale expected version fails, so of two
  concurrent claims exactly one is stored (claim-once);
- ``customers`` unique indexes ``one_customer_per_phone`` / ``_per_bsuid`` / ``_per_parent_bsuid``: each key
  (phone in E.164, BSUID, parent BSUID) names at most one customer of an account (``domain/identity.py``);
- ``chats`` primary key (account, number, customer): one chat per customer and business number;
- ``open_conversations`` primary key (account, number, customer): one open conversation per chat, however
  many messages arrive at once, whatever form of the number or BSUID they come with.
Projections (``conversation_view``, ``message_view``) are rebuilt from ``events`` by ``view_replay``.
The conversation's kept state (``conversation_snapshots``, ``conversation_messages``) is written in the same
transaction as its events and read instead of folding them (``event_store.py``); ``events`` stays the truth.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
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

events = event_table(metadata, "events")

customers = Table(
    "customers",
    metadata,
    Column("customer_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("phone", Text, nullable=True),
    Column("wa_id", Text, nullable=True),  # the phone as WhatsApp last spelled it (may lack the ninth digit)
    Column("user_id", Text, nullable=True),
    Column("parent_user_id", Text, nullable=True),
    Column("username", Text, nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("seen_order", BigInteger, Identity(always=True), nullable=False),  # which was stored first
    Column("merged_into", UUID(as_uuid=True), nullable=True),  # merged customers hold no keys
    # their WhatsApp profile photo as ingest last stored it (null: none, hidden, or a provider that cannot tell)
    Column("photo_key", Text, nullable=True),
    Column("photo_sha256", Text, nullable=True),
    Column("photo_changed_at", DateTime(timezone=True), nullable=True),
    Index("one_customer_per_phone", "account_id", "phone", unique=True, postgresql_where=text("phone IS NOT NULL")),
    Index("one_customer_per_bsuid", "account_id", "user_id", unique=True, postgresql_where=text("user_id IS NOT NULL")),
    Index(
        "one_customer_per_parent_bsuid",
        "account_id",
        "parent_user_id",
        unique=True,
        postgresql_where=text("parent_user_id IS NOT NULL"),
    ),
)

open_conversations = Table(
    "open_conversations",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("phone_number_id", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("opened_at", DateTime(timezone=True), nullable=True),
    Column("opened_order", BigInteger, Identity(always=True), nullable=False),  # which was opened first
    PrimaryKeyConstraint("account_id", "phone_number_id", "customer_id", name="one_open_conversation_per_chat"),
)

chats = Table(
    "chats",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("phone_number_id", Text, nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("last_customer_message_at", DateTime(timezone=True), nullable=True),
    Column("last_conversation_id", UUID(as_uuid=True), nullable=True),
    Column("lead_id", UUID(as_uuid=True), nullable=True),
    PrimaryKeyConstraint("account_id", "phone_number_id", "customer_id", name="chats_pkey"),
)

number_connections = Table(
    "number_connections",
    metadata,
    # how each WhatsApp Web (Evolution) number's session last was: connected, connecting, disconnected, refused
    Column("phone_number_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("connection", Text, nullable=False),
    Column("needs_qr_code", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

early_delivery_statuses = Table(
    "early_delivery_statuses",
    metadata,
    # WhatsApp's statuses of a message whose send result (and so its wamid) the router has not decided yet: the
    # status comes on the chat's lane, the wamid on the conversation's, so the status can be first; the send result
    # applies and deletes them (``service/inbound.py``). A day old, a status names a message leadline never sent.
    Column("wamid", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("kept_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("wamid", "status", name="early_delivery_statuses_pkey"),
    Index("early_delivery_statuses_by_age", "kept_at"),
)

lead_owners = Table(
    "lead_owners",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    Column("owner_name", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("temperature", Text, nullable=True),
)

conversation_view = Table(
    "conversation_view",
    metadata,
    Column("conversation_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("phone_number_id", Text, nullable=False),
    Column("business_display_number", Text, nullable=False),
    Column("customer_wa_id", Text, nullable=True),
    Column("customer_phone", Text, nullable=True),
    Column("customer_user_id", Text, nullable=True),
    Column("customer_username", Text, nullable=True),
    Column("customer_id", UUID(as_uuid=True), nullable=True),
    Column("customer_name", Text, nullable=False),
    Column("pool_team_ids", ARRAY(Text), nullable=False),
    Column("owner_id", Text, nullable=True),
    Column("owner_name", Text, nullable=True),
    Column("owner_team_id", Text, nullable=True),
    Column("owner_can_send", Boolean, nullable=False, server_default="true"),
    Column("collaborator_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("lead_id", UUID(as_uuid=True), nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
    Column("last_message_preview", Text, nullable=True),
    Column("last_direction", Text, nullable=True),
    Column("transfer_note", Text, nullable=True),
    Column("pool_wait_alerted", Boolean, nullable=False, server_default="false"),
    Column("was_in_pool", Boolean, nullable=False, server_default="false"),
    Column("version", Integer, nullable=False),
    Index("conversation_view_inbox", "account_id", "status", "last_activity_at"),
    Index("conversation_view_lead", "lead_id"),
)

message_view = Table(
    "message_view",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("wamid", Text, nullable=True),
    Column("direction", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("sender_id", Text, nullable=True),
    Column("sender_name", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("content", JSONB, nullable=False),
    Column("text", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("delivery", Text, nullable=True),
    Column("delivery_error", Text, nullable=True),
    Index("message_view_conversation", "conversation_id", "seq"),
    Index("message_view_wamid", "wamid"),
)

conversation_snapshots = Table(
    "conversation_snapshots",
    metadata,
    Column("conversation_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("version", Integer, nullable=False),  # the stream's last event it holds
    Column("format", Text, nullable=False),  # a snapshot of another format (or events' versions) is folded again
    Column("state", JSONB, nullable=False),
)

conversation_messages = Table(
    "conversation_messages",
    metadata,
    Column("conversation_id", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("arrived", BigInteger, Identity(always=True), nullable=False),  # the order the messages came in
    Column("wamid", Text, nullable=True),
    Column("sent_as", Text, nullable=True),
    Column("delivery", Text, nullable=True),
    Column("requested", Boolean, nullable=False),
    Column("media", JSONB, nullable=True),
    PrimaryKeyConstraint("conversation_id", "message_id", name="conversation_messages_pkey"),
    Index("conversation_messages_wamid", "conversation_id", "wamid"),
    Index("conversation_messages_sent_as", "conversation_id", "sent_as"),
)
