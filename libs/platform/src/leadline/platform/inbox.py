"""Idempotent consumers: handled event ids and per-stream positions, in the effect's transaction."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence

import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events.envelope import Envelope

from .messaging_tables import INBOX, STREAM_POSITIONS

log = structlog.get_logger(__name__)
STREAM_GAPS = Counter(
    "leadline_stream_gaps_total", "Events that arrived after a gap in their stream's sequence", ["consumer"]
)


async def first_delivery(session: AsyncSession, consumer: str, event_id: uuid.UUID) -> bool:
    """Record ``event_id`` as handled by ``consumer``; False when it already was (a redelivery).

    Must run in the same transaction as the effect: if that rolls back, so does this.
    """
    inserted = await session.scalar(
        insert(INBOX).values(consumer=consumer, event_id=event_id).on_conflict_do_nothing().returning(INBOX.c.event_id)
    )
    return inserted is not None


async def first_deliveries(
    session: AsyncSession, handled: Sequence[tuple[str, uuid.UUID]]
) -> set[tuple[str, uuid.UUID]]:
    """``first_delivery`` of many (consumer, event id) pairs with one statement: the pairs seen for the first time.

    A pair named twice counts once (the caller takes it once). Same transaction rule as ``first_delivery``.
    """
    if not handled:
        return set()
    rows = await session.execute(
        insert(INBOX)
        .values([{"consumer": consumer, "event_id": event_id} for consumer, event_id in handled])
        .on_conflict_do_nothing()
        .returning(INBOX.c.consumer, INBOX.c.event_id)
    )
    return {(row.consumer, row.event_id) for row in rows}


class StreamPosition(enum.Enum):
    NEXT = "next"  # exactly the expected sequence
    ALREADY_APPLIED = "already_applied"  # a replay of something older: skip it
    AFTER_GAP = "after_gap"  # later than expected: something is missing upstream


async def advance_stream(session: AsyncSession, consumer: str, stream_id: str, sequence: int) -> StreamPosition:
    """Move a projection's position in one stream forward, telling the caller what this event is."""
    last = await session.scalar(
        select(STREAM_POSITIONS.c.last_sequence)
        .where(STREAM_POSITIONS.c.consumer == consumer, STREAM_POSITIONS.c.stream_id == stream_id)
        .with_for_update()
    )
    last = last or 0
    if sequence <= last:
        return StreamPosition.ALREADY_APPLIED
    statement = insert(STREAM_POSITIONS).values(consumer=consumer, stream_id=stream_id, last_sequence=sequence)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[STREAM_POSITIONS.c.consumer, STREAM_POSITIONS.c.stream_id],
            set_={"last_sequence": sequence},
        )
    )
    if sequence == last + 1:
        return StreamPosition.NEXT
    STREAM_GAPS.labels(consumer).inc()
    log.warning("gap in stream", consumer=consumer, stream_id=stream_id, expected=last + 1, got=sequence)
    return StreamPosition.AFTER_GAP


Admits = Callable[[AsyncSession, str, Envelope], Awaitable[bool]]
"""Whether a consumer's inbox lets an event through (records it, in the effect's transaction, when it does)."""


async def first_delivery_of(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """Through once per event id: a redelivery is acknowledged and changes nothing."""
    return await first_delivery(session, consumer, envelope.event_id)


async def next_in_stream(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """Through unless the stream's position says it was applied (a gap is logged and applied anyway)."""
    position = await advance_stream(session, consumer, envelope.stream_id, envelope.sequence)
    return position is not StreamPosition.ALREADY_APPLIED
