"""The history service's own tables (its database is its alone).

``timeline_entries`` is the projection; ``conversations``, ``staged_messages`` and ``stored_media``
are the working state that feeds it; all four are dropped and refilled by a rebuild.
``lead_streams`` numbers the events history publishes per lead and survives a rebuild.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Computed, DateTime, Index, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

metadata = MetaData()

SEARCH_CONFIGURATION = "history_pt_unaccent"
"""Portuguese stemming after unaccent: "nao" finds "não" (created in migration 0002)."""

conversations = Table(
    "conversations",
    metadata,
    Column("conversation_id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", UUID(as_uuid=True), nullable=True),
    comment="Conversation → lead; its row is also the lock that orders a conversation's writers.",
)

staged_messages = Table(
    "staged_messages",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("conversation_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("account_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("direction", Text, nullable=False),
    Column("origin", Text, nullable=False),
    Column("sender", JSONB, nullable=True),
    Column("wamid", Text, nullable=True),
    Column("content", JSONB, nullable=False),
    Column("text", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    comment="Messages of conversations not finished yet.",
)

stored_media = Table(
    "stored_media",
    metadata,
    Column("wamid", Text, primary_key=True),
    Column("stored", JSONB, nullable=False),
    comment="Our stored copy of each message's media, from ingest.media.stored.",
)

timeline_entries = Table(
    "timeline_entries",
    metadata,
    Column("entry_id", UUID(as_uuid=True), primary_key=True),
    Column("source_key", Text, nullable=False, unique=True),
    Column("lead_id", UUID(as_uuid=True), nullable=True),
    Column("account_id", Text, nullable=False),
    Column("conversation_id", UUID(as_uuid=True), nullable=True),
    Column("kind", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("direction", Text, nullable=True),
    Column("origin", Text, nullable=True),
    Column("agent", JSONB, nullable=True),
    Column("content", JSONB, nullable=True),
    Column("temperature", Text, nullable=True),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("wamid", Text, nullable=True),
    Column("media_key", Text, nullable=True),
    Column("text", Text, nullable=True),
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    Column(
        "search",
        TSVECTOR,
        Computed(f"to_tsvector('{SEARCH_CONFIGURATION}'::regconfig, coalesce(text, ''))", persisted=True),
    ),
    Index("timeline_entries_lead_at", "lead_id", "at", "entry_id"),
    Index("timeline_entries_conversation", "conversation_id"),
    Index("timeline_entries_wamid", "wamid", postgresql_where=text("wamid IS NOT NULL")),
    Index("timeline_entries_search", "search", postgresql_using="gin"),
)

lead_streams = Table(
    "lead_streams",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
    comment="The sequence of the last history.timeline.entry_recorded published per lead.",
)

PROJECTION_TABLES = (timeline_entries, staged_messages, stored_media, conversations)
