"""The outbox and inbox tables every service keeps in its own database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: MetaData) -> Table:
    """Events waiting to be published; ``id`` orders them, ``published_at`` marks them sent."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("envelope", Text, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Event ids a consumer has applied, written in the same transaction as the effect."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


def stream_positions_table(metadata: MetaData) -> Table:
    """The last sequence a projection applied per stream: skips replays, reveals gaps."""
    return Table(
        "stream_positions",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("stream_id", Text, nullable=False),
        Column("last_sequence", Integer, nullable=False),
        PrimaryKeyConstraint("consumer", "stream_id"),
    )


#: Every service's migrations create these three tables from this metadata.
MESSAGING_METADATA = MetaData()
OUTBOX = outbox_table(MESSAGING_METADATA)
INBOX = inbox_table(MESSAGING_METADATA)
STREAM_POSITIONS = stream_positions_table(MESSAGING_METADATA)
