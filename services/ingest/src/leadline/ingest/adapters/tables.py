"""The ingest service's own tables (its database is its alone).

Invariants held by the database, not by ``if``s:
- ``inbound_messages.wamid`` is the primary key: one WhatsApp message, one event.
- ``send_requests.request_id`` is the primary key: one send request, at most one send.
- ``chat_sequences`` hands out each stream's sequence under a row lock, in commit order.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

metadata = MetaData()

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("raw_body", LargeBinary, nullable=False),
    Column("events_emitted", Integer, nullable=False),
)

quarantined_deliveries = Table(
    "quarantined_deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("raw_body", LargeBinary, nullable=False),  # the whole body, or the part at part_path
    Column("reason", Text, nullable=False),
    Column("part_path", Text, nullable=True),  # entry[0].changes[0].value.messages[1]; null: the whole body refused
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("wamid", Text, primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("origin", Text, nullable=False),  # customer | phone_echo
    Column("kind", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # the customers who wrote lately: whose profile photos the photo worker keeps fresh
    Index("inbound_messages_from_customers", "received_at", postgresql_where="origin = 'customer'"),
)

message_statuses = Table(
    "message_statuses",
    metadata,
    Column("wamid", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

chat_sequences = Table(
    "chat_sequences",
    metadata,
    Column("stream_id", Text, primary_key=True),
    Column("last_sequence", Integer, nullable=False),
)

send_requests = Table(
    "send_requests",
    metadata,
    Column("request_id", UUID(as_uuid=True), primary_key=True),
    Column("conversation_id", UUID(as_uuid=True), nullable=False),
    Column("phone_number_id", Text, nullable=False),
    Column("to_wa_id", Text, nullable=False),  # who it went to: the wa_id, or the BSUID when no phone is known
    Column("state", Text, nullable=False),  # sending | sent | failed | outcome_unknown
    Column("wamid", Text, nullable=True),
    Column("error_code", Integer, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

media_jobs = Table(
    "media_jobs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("wamid", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("phone_number_id", Text, nullable=False),
    Column("customer_wa_id", Text, nullable=False),  # the chat's customer key: the wa_id, else the BSUID
    Column("provider_media_id", Text, nullable=False),
    Column("mime_type", Text, nullable=False),
    Column("state", Text, nullable=False, server_default="pending"),  # pending | stored | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text, nullable=True),
    Column("stored_key", Text, nullable=True),
    UniqueConstraint("wamid", "provider_media_id", name="media_jobs_once_per_message"),
    Index("media_jobs_due", "next_attempt_at", postgresql_where="state = 'pending'"),
)

contact_photos = Table(
    "contact_photos",
    metadata,
    Column("stream_id", Text, primary_key=True),
    Column("last_checked_at", DateTime(timezone=True), nullable=False),
    Column("sha256", Text, nullable=True),
)

business_numbers = Table(
    "business_numbers",
    metadata,
    Column("phone_number_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("waba_id", Text, nullable=True),  # the WhatsApp Business Account whose templates the number sends
    Column("provider", Text, nullable=False, server_default=text("'cloud_api'")),  # cloud_api | evolution
    Column(
        "evolution_base_url", Text, nullable=True
    ),  # an Evolution number's instance; its key is only a secret's name
    Column("evolution_instance", Text, nullable=True),
    Column("evolution_api_key_secret", Text, nullable=True),
)

message_templates = Table(
    "message_templates",
    metadata,
    Column("waba_id", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("language", Text, primary_key=True),
    Column("category", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("header", Text, nullable=True),
    Column("footer", Text, nullable=True),
    Column("buttons", ARRAY(Text), nullable=False),
    Column("example", ARRAY(Text), nullable=False),
    comment="Each WhatsApp Business Account's templates as Meta last listed them (any status; the page offers APPROVED).",
)

template_syncs = Table(
    "template_syncs",
    metadata,
    Column("waba_id", Text, primary_key=True),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)
