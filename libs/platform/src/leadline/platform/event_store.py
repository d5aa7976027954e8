"""An event store in a service's own database: one table of streams, appended with an expected version.

``PRIMARY KEY (stream, version)`` is the optimistic-concurrency check: of two transactions appending after
the same version, one fails with ``StreamConflict`` and its handler loads again and decides again. The
stored payload is the public contract's, so what is stored is exactly what is published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from leadline.events import REGISTRY, Envelope


class StreamConflict(Exception):
    """Another transaction appended to the stream first."""


class UnreadableSnapshot(Exception):
    """A kept state of the current format that still does not read: its stream is folded instead."""


def snapshot_format(shape: int, event_prefix: str) -> str:
    """What a kept state (snapshot) was written as: its JSON ``shape`` and the newest version of every event type
    starting with ``event_prefix`` it was folded from. A new event version (and its upcaster) or a new shape changes
    it, and every snapshot of another format is ignored and its stream folded again."""
    versions = sorted((t, max(REGISTRY.versions(t))) for t in REGISTRY.event_types() if t.startswith(event_prefix))
    return f"{shape}:{hashlib.sha256(repr(versions).encode()).hexdigest()[:12]}"


def event_table(
    metadata: MetaData,
    name: str,
    *,
    stream_column: str = "stream_id",
    stream_type: TypeEngine[Any] | type[TypeEngine[Any]] = Text,
) -> Table:
    """The events table of one aggregate kind (``position`` orders all streams for rebuilds)."""
    return Table(
        name,
        metadata,
        Column("position", BigInteger, Identity(), nullable=False, unique=True),
        Column(stream_column, stream_type, nullable=False),
        Column("version", Integer, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("account_id", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("schema_version", Integer, nullable=False),
        Column("data", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("causation_id", UUID(as_uuid=True), nullable=True),
        Column("correlation_id", UUID(as_uuid=True), nullable=True),
        PrimaryKeyConstraint(stream_column, "version", name=f"{name}_stream_version"),
    )


def _stream_column(table: Table) -> Column[Any]:
    return table.primary_key.columns.values()[0]


def envelope_of(table: Table, row: Any) -> Envelope:
    return Envelope(
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_at=row.occurred_at,
        account_id=row.account_id,
        stream_id=str(getattr(row, _stream_column(table).name)),
        sequence=row.version,
        correlation_id=row.correlation_id or row.event_id,
        causation_id=row.causation_id,
        payload=row.data,
    )


async def load_stream(session: AsyncSession, table: Table, stream_id: Any) -> list[Envelope]:
    stream = _stream_column(table)
    rows = (await session.execute(select(table).where(stream == stream_id).order_by(table.c.version))).all()
    return [envelope_of(table, row) for row in rows]


async def append_events(session: AsyncSession, table: Table, envelopes: Sequence[Envelope]) -> None:
    """Store the envelopes at their sequences; ``StreamConflict`` when one is taken (someone appended first)."""
    if not envelopes:
        return
    try:  # no savepoint: a conflict abandons the whole attempt (its transaction or savepoint), decided again
        await session.execute(table.insert(), event_rows(table, envelopes))
    except IntegrityError as error:
        raise StreamConflict(envelopes[0].stream_id) from error


def event_rows(table: Table, envelopes: Sequence[Envelope]) -> list[dict[str, Any]]:
    """The rows that store ``envelopes`` in ``table``, for a caller that writes them in a statement with others
    (the aggregate's kept state): an ``IntegrityError`` from their insert means someone appended first."""
    stream = _stream_column(table)
    to_key = stream.type.python_type if hasattr(stream.type, "python_type") else str
    return [
        {
            stream.name: to_key(e.stream_id),
            "version": e.sequence,
            "event_id": e.event_id,
            "account_id": e.account_id,
            "type": e.type,
            "schema_version": e.schema_version,
            "data": e.payload,
            "occurred_at": e.occurred_at,
            "causation_id": e.causation_id,
            "correlation_id": e.correlation_id,
        }
        for e in envelopes
    ]
