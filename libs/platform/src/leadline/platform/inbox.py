"""Idempotent consumers: handled event ids and per-stream positions, in the effect's transaction."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence

import structlog
from prometheus_client import Counter
from sqlalchemy import Integer, Text, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events.envelope import Envelope

from .messaging_tables import INBOX, STREAM_POSITIONS

log = structlog.get_logger(__name__)
STREAM_GAPS = Counter(
    "leadline_stream_gaps_total", "Events that arrived after a gap in their stream's sequence", ["consumer"]
)
_STREAMS = bindparam("streams", type_=ARRAY(Text))
_SEQUENCES = bindparam("sequences", type_=ARRAY(Integer))
_FIRST_DELIVERIES = (
    insert(INBOX)
    .from_select(
        [INBOX.c.consumer, INBOX.c.event_id],
        select(
            func.unnest(bindparam("consumers", type_=ARRAY(Text))),
            func.unnest(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))),
        ),
    )
    .on_conflict_do_nothing()
    .returning(INBOX.c.consumer, INBOX.c.event_id)
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

    A pair named twice counts once (the caller takes it once). Same transaction rule as ``first_delivery``. The
    pairs travel as two arrays, so the statement is the same (compiled and cached once) whatever their number.
    """
    pairs = list(dict.fromkeys(handled))
    if not pairs:
        return set()
    rows = await session.execute(
        _FIRST_DELIVERIES, {"consumers": [consumer for consumer, _ in pairs], "ids": [i for _, i in pairs]}
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


# --- the same rules for a batch of events at once: one statement per table, not one (or two) per event -----------
# Built once: a lane runs them at every commit, and building a statement anew costs more than running it cached.

_CONSUMER = bindparam("consumer", type_=Text)
_LOCK_POSITIONS = (
    select(STREAM_POSITIONS.c.stream_id, STREAM_POSITIONS.c.last_sequence)
    .where(STREAM_POSITIONS.c.consumer == _CONSUMER, STREAM_POSITIONS.c.stream_id == any_(_STREAMS))
    .order_by(STREAM_POSITIONS.c.stream_id)
    .with_for_update()
)
_NEW_POSITIONS = insert(STREAM_POSITIONS).from_select(
    [STREAM_POSITIONS.c.consumer, STREAM_POSITIONS.c.stream_id, STREAM_POSITIONS.c.last_sequence],
    select(_CONSUMER, func.unnest(_STREAMS), func.unnest(_SEQUENCES)),
)
_MOVE_POSITIONS = _NEW_POSITIONS.on_conflict_do_update(  # a position only ever moves forward
    index_elements=[STREAM_POSITIONS.c.consumer, STREAM_POSITIONS.c.stream_id],
    set_={"last_sequence": func.greatest(STREAM_POSITIONS.c.last_sequence, _NEW_POSITIONS.excluded.last_sequence)},
)


async def advance_streams(session: AsyncSession, consumer: str, envelopes: Sequence[Envelope]) -> list[bool]:
    """``advance_stream`` for a batch, in order, in two statements: for each envelope, whether it is new in its
    stream (next, or after a gap: logged and applied anyway) rather than already applied.

    The streams' rows are locked (in stream order: two batches never wait on each other crosswise) until commit,
    and a position only ever moves forward, as one event at a time would leave it."""
    wanted = sorted({envelope.stream_id for envelope in envelopes})
    if not wanted:
        return []
    rows = await session.execute(_LOCK_POSITIONS, {"consumer": consumer, "streams": wanted})
    last: dict[str, int] = {row.stream_id: row.last_sequence for row in rows}
    moved: dict[str, int] = {}
    new: list[bool] = []
    for envelope in envelopes:
        before = last.get(envelope.stream_id, 0)
        new.append(envelope.sequence > before)
        if envelope.sequence <= before:
            continue
        if envelope.sequence != before + 1:
            STREAM_GAPS.labels(consumer).inc()
            log.warning(
                "gap in stream",
                consumer=consumer,
                stream_id=envelope.stream_id,
                expected=before + 1,
                got=envelope.sequence,
            )
        last[envelope.stream_id] = moved[envelope.stream_id] = envelope.sequence
    if moved:
        await session.execute(
            _MOVE_POSITIONS, {"consumer": consumer, "streams": list(moved), "sequences": list(moved.values())}
        )
    return new
