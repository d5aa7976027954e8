"""Rebuild: empty the projection and replay its topics from offset 0 through the same handlers.

A fresh consumer without a group reads every partition from the beginning up to the end offsets
captured at the start (events arriving meanwhile are left to the live consumer), in batches of one
transaction each. Run it with the service's live consumer stopped: both write the same tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from pydantic import ValidationError

from leadline.events.registry import UndecodableEvent, UnknownEventType
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS

from .tables import PROJECTION_TABLES

log = structlog.get_logger(__name__)


@dataclass
class RebuildProgress:
    """Where a rebuild stands; handed to the progress callback after every batch."""

    total: int
    read: int = 0
    applied: int = 0
    skipped: int = 0
    """Already applied (duplicates in the topic) or of a type history does not know."""
    undecodable: int = 0
    """Left out as the live consumer would dead-letter them (logged); they are in the topic's ``.dlq``."""
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.read / self.elapsed_s if self.elapsed_s else 0.0


async def clear_projection(session: AsyncSession, consumer: str) -> None:
    for table in PROJECTION_TABLES:
        await session.execute(delete(table))
    await session.execute(delete(INBOX).where(INBOX.c.consumer == consumer))
    await session.execute(delete(STREAM_POSITIONS).where(STREAM_POSITIONS.c.consumer == consumer))


async def rebuild(
    sessions: async_sessionmaker[AsyncSession], *, bootstrap_servers: str, topics: Sequence[str], consumer: str,
    apply: Callable[[AsyncSession, Envelope], object], batch_size: int = 1000,
    progress: Callable[[RebuildProgress], None] | None = None,
) -> RebuildProgress:
    started = time.monotonic()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                              auto_offset_reset="earliest", fetch_max_wait_ms=10, max_partition_fetch_bytes=4 << 20)
    await reader.start()
    try:
        await reader.topics()  # fetch the cluster's metadata: a topic not yet known must not be skipped silently
        unknown = [topic for topic in topics if not reader.partitions_for_topic(topic)]
        if unknown:
            raise RuntimeError(f"cannot replay: the broker does not know {', '.join(unknown)}")
        partitions = [TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic))]
        reader.assign(partitions)
        ends = await reader.end_offsets(partitions)
        begins = await reader.beginning_offsets(partitions)
        await reader.seek_to_beginning(*partitions)
        remaining = {tp: end for tp, end in ends.items() if end > begins[tp]}
        state = RebuildProgress(total=sum(ends[tp] - begins[tp] for tp in remaining))
        async with sessions() as session, session.begin():
            await clear_projection(session, consumer)
        log.info("rebuild started", topics=list(topics), events=state.total)
        if remaining:
            reader.pause(*[tp for tp in partitions if tp not in remaining])
        while remaining:
            batch = await reader.getmany(*remaining, timeout_ms=500, max_records=batch_size)
            envelopes = []
            for tp, records in batch.items():
                end = remaining.get(tp)
                if end is None:
                    continue
                for record in records:
                    if record.offset >= end:
                        continue
                    state.read += 1
                    try:
                        envelopes.append(Envelope.from_bytes(record.value))
                    except ValidationError:
                        state.undecodable += 1
                        log.warning("rebuild left out a malformed envelope", topic=tp.topic, offset=record.offset)
                if await reader.position(tp) >= end:  # not "last offset == end - 1": offsets may skip
                    del remaining[tp]
                    reader.pause(tp)
            async with sessions() as session, session.begin():
                for envelope in envelopes:
                    try:
                        applied = await apply(session, envelope)
                    except UnknownEventType:
                        applied = False
                    except UndecodableEvent as error:  # raised before any write: the batch stays sound
                        state.undecodable += 1
                        log.warning("rebuild left out an undecodable event", event_id=str(envelope.event_id), error=str(error))
                        continue
                    state.applied += bool(applied)
                    state.skipped += not applied
            state.elapsed_s = time.monotonic() - started
            if progress:
                progress(state)
        log.info("rebuild finished", events=state.read, applied=state.applied, seconds=round(state.elapsed_s, 2))
        return state
    finally:
        await reader.stop()
