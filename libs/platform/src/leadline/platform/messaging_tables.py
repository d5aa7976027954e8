"""The outbox and inbox tables every service keeps in its own database."""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    event,
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


OUTBOX_NOTIFY_CHANNEL = "leadline_outbox"
_DROP_OUTBOX_NOTIFY_TRIGGER = "DROP TRIGGER IF EXISTS outbox_notify ON outbox"
OUTBOX_NOTIFIES = (
    "CREATE OR REPLACE FUNCTION leadline_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN PERFORM pg_notify('{OUTBOX_NOTIFY_CHANNEL}', ''); RETURN NULL; END $$",
    _DROP_OUTBOX_NOTIFY_TRIGGER,
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION leadline_outbox_notify()",
)
"""A statement that inserts outbox rows wakes every replica's relay when its transaction commits: a NOTIFY on
``OUTBOX_NOTIFY_CHANNEL`` (PostgreSQL folds a transaction's repeats into one, and delivers them in commit order). A
transaction that publishes nothing (most of what leads and history consume) wakes no relay. Sent by the database,
it costs the writer no statement of its own (a round trip of every publishing transaction, each service's
``*_outbox_notify`` migration)."""
OUTBOX_NOTIFIES_DROPPED = (_DROP_OUTBOX_NOTIFY_TRIGGER, "DROP FUNCTION IF EXISTS leadline_outbox_notify()")


#: Every service's migrations create these three tables from this metadata.
MESSAGING_METADATA = MetaData()
OUTBOX = outbox_table(MESSAGING_METADATA)
for _statement in OUTBOX_NOTIFIES:  # for a database made from the metadata (tests); services migrate
    event.listen(OUTBOX, "after_create", DDL(_statement))
INBOX = inbox_table(MESSAGING_METADATA)
STREAM_POSITIONS = stream_positions_table(MESSAGING_METADATA)
