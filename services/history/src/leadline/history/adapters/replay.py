"""The replay engine: the projection's topics read again through the same handlers, in set-based batches.

A consumer without a group reads every partition (from the beginning, a timestamp or given offsets) up to the
events produced before the replay began, in batches of one transaction each. The replay relies on being the
only writer of the tables it fills (``BatchTimelineStore``, ``ReplayLedger``): a batch is read in a few queries,
handled in memory and written in a few bulk statements. So either the live consumer is stopped (a rebuild in
place), or the replay writes a shadow copy of the tables (``leadline replay``); both are ``TimelineReplay``
(``shadow_replay``), the one way the timeline is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.events.registry import UndecodableEvent, UnknownEventType
from leadline.platform import fast_decode, kafka_clients
from leadline.platform.fast_decode import WireEnvelope
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS
from leadline.platform.replay_guard import Objection, ReplayRefused, topic_objections
from leadline.platform.settings import KafkaSettings

from ..service.ports import TimelineStore
from .batch_store import BatchTimelineStore
from .replay_ledger import ReplayLedger
from .tables import PROJECTION_TABLES, timeline_entries

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
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    """The next offset to read per partition: where a catch-up starts."""
    reached: dict[str, int] = field(default_factory=dict)
    """The last sequence read per stream: what the replay guard compares with the live stream positions."""
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("decode", "fold", "write"), 0.0))
    """Where the time went: decoding (overlaps the writes), folding in memory, and the database's reads and writes."""

    @property
    def rate(self) -> float:
        return self.read / self.elapsed_s if self.elapsed_s else 0.0


async def empty_projection(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kafka: KafkaSettings,
    topics: Sequence[str],
    consumer: str,
    force: bool,
) -> None:
    """Empty the projection for a rebuild in place, after checking it may be emptied.

    Refuses (``ReplayRefused``, nothing emptied) when a topic is unknown or truncated, or when the projection is not
    empty: it cannot compare what it would wipe with what it reads (``leadline replay history`` can). ``force``
    overrides.
    """
    objections = await topic_objections(kafka, list(topics))
    async with sessions() as session, session.begin():
        entries = await session.scalar(select(func.count()).select_from(timeline_entries))
        streams = await session.scalar(
            select(func.count()).select_from(STREAM_POSITIONS).where(STREAM_POSITIONS.c.consumer == consumer)
        )
        if entries or streams:
            objections.append(
                Objection(
                    f"the projection is not empty ({entries} timeline entries, positions of {streams} "
                    "stream(s)): a rebuild would wipe it unchecked; `leadline replay history` "
                    "checks its source first"
                )
            )
        if objections and (not force or any(o.unreadable for o in objections)):
            raise ReplayRefused(objections)
        await clear_projection(session, consumer)


async def clear_projection(session: AsyncSession, consumer: str) -> None:
    for table in PROJECTION_TABLES:
        await session.execute(delete(table))
    await session.execute(delete(INBOX).where(INBOX.c.consumer == consumer))
    await session.execute(delete(STREAM_POSITIONS).where(STREAM_POSITIONS.c.consumer == consumer))


REPLAY_IDLE_S = 1.0  # past the listed end offsets, this long with nothing new means the log is read


async def replay_topics(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kafka: KafkaSettings,
    topics: Sequence[str],
    consumer: str,
    handle: Callable[[TimelineStore, Envelope, object], Awaitable[None]],
    batch_size: int = 1000,
    progress: Callable[[RebuildProgress], None] | None = None,
    fresh: bool = False,
    since_ms: int | None = None,
    start: Mapping[TopicPartition, int] | None = None,
    cutoff_ms: int | None = None,
    share: tuple[int, int] | None = None,
) -> RebuildProgress:
    """Replay ``topics`` into the tables ``sessions`` write to, up to the events produced before ``cutoff_ms``.

    Reads from the beginning, or from ``since_ms`` (a timestamp), or from ``start`` (offsets a previous replay
    reached: a catch-up). ``fresh``: the tables start empty, so stream positions need not be read from them.
    ``progress.positions`` tells where each partition stopped, for a later catch-up. ``share`` ``(i, n)``: only
    every n-th of the topics' partitions, from the i-th (one worker of a parallel replay, see ``parallel_replay``).

    Reading (fetch and decode) runs one batch ahead of writing: while PostgreSQL writes a batch, the next is
    decoded. Batches are still written one at a time, in the order read.
    """
    with _fewer_garbage_collections():
        return await _replay_topics(
            sessions,
            kafka=kafka,
            topics=topics,
            consumer=consumer,
            handle=handle,
            batch_size=batch_size,
            progress=progress,
            fresh=fresh,
            since_ms=since_ms,
            start=start,
            cutoff_ms=cutoff_ms,
            share=share,
        )


@contextlib.contextmanager
def _fewer_garbage_collections() -> Iterator[None]:
    """A replay allocates millions of short-lived objects that hold no cycles: with the default thresholds the
    cycle collector ran every few hundred allocations and scanned the whole batch each time (a third of the
    replay's Python time, measured). Collections still happen, a hundred times less often."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 70_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


async def _replay_topics(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kafka: KafkaSettings,
    topics: Sequence[str],
    consumer: str,
    handle: Callable[[TimelineStore, Envelope, object], Awaitable[None]],
    batch_size: int,
    progress: Callable[[RebuildProgress], None] | None,
    fresh: bool,
    since_ms: int | None,
    start: Mapping[TopicPartition, int] | None,
    cutoff_ms: int | None,
    share: tuple[int, int] | None,
) -> RebuildProgress:
    started = time.monotonic()
    reader = kafka_clients.consumer(
        kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        max_partition_fetch_bytes=4 << 20,
    )
    await reader.start()
    reading: asyncio.Task[None] | None = None
    try:
        await reader.topics()  # fetch the cluster's metadata: a topic not yet known must not be skipped silently
        unknown = [topic for topic in topics if not reader.partitions_for_topic(topic)]
        if unknown:
            raise RuntimeError(f"cannot replay: the broker does not know {', '.join(unknown)}")
        partitions = [TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic))]
        if share is not None:
            partitions = partitions[share[0] :: share[1]]
        reader.assign(partitions)
        cutoff_ms = int(time.time() * 1000) if cutoff_ms is None else cutoff_ms  # produced before it: replayed
        ends = await reader.end_offsets(partitions)
        begins = await _start_offsets(reader, partitions, ends, since_ms=since_ms, start=start)
        for tp in partitions:
            reader.seek(tp, begins[tp])
        state = RebuildProgress(total=sum(max(0, ends[tp] - begins[tp]) for tp in partitions))
        state.positions = dict(begins)
        ledger = ReplayLedger(consumer)
        log.info("replay started", topics=list(topics), events=state.total)
        batches: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=1)
        reading = asyncio.create_task(_read(reader, partitions, ends, cutoff_ms, batch_size, batches))
        while (batch := await batches.get()) is not None:
            state.read += batch.read
            state.seconds["decode"] += batch.decode_s
            clock = time.perf_counter()
            state.undecodable += batch.undecodable
            state.skipped += batch.skipped
            state.total = max(state.total, state.read)
            for envelope, _ in batch.decoded:
                state.reached[envelope.stream_id] = max(envelope.sequence, state.reached.get(envelope.stream_id, 0))
            async with sessions() as session, session.begin():
                if not fresh:
                    await ledger.preload(session, {envelope.stream_id for envelope, _ in batch.decoded})
                store = BatchTimelineStore(session)
                await store.preload(
                    {c for _, p in batch.decoded if (c := getattr(p, "conversation_id", None))},
                    {w for _, p in batch.decoded if isinstance(w := getattr(p, "wamid", None), str)},
                )
                clock = _lap(state, "write", clock)
                for envelope, payload in batch.decoded:
                    applied = ledger.first_time(envelope)
                    if applied:
                        await handle(store, envelope, payload)  # type: ignore[arg-type]
                    state.applied += applied
                    state.skipped += not applied
                clock = _lap(state, "fold", clock)
                await store.flush()
                await ledger.flush(session)
            _lap(state, "write", clock)
            state.positions.update(batch.positions)
            state.elapsed_s = time.monotonic() - started
            if progress:
                progress(state)
        await reading  # its error, if it ended with one
        state.elapsed_s = time.monotonic() - started
        log.info(
            "replay finished",
            events=state.read,
            applied=state.applied,
            seconds=round(state.elapsed_s, 2),
            **{f"{stage}_s": round(spent, 2) for stage, spent in state.seconds.items()},
        )
        return state
    finally:
        if reading is not None and not reading.done():
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
        await reader.stop()


@dataclass
class _Batch:
    """One fetch, decoded: what the writer applies in one transaction."""

    decoded: list[tuple[WireEnvelope | Envelope, object]] = field(default_factory=list)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    read: int = 0
    undecodable: int = 0
    skipped: int = 0
    decode_s: float = 0.0


def _lap(state: RebuildProgress, stage: str, since: float) -> float:
    now = time.perf_counter()
    state.seconds[stage] += now - since
    return now


async def _read(
    reader: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: Mapping[TopicPartition, int],
    cutoff_ms: int,
    batch_size: int,
    batches: asyncio.Queue[_Batch | None],
) -> None:
    """Fetch and decode until every partition is read up to the cutoff; ``None`` on the queue says it is done.

    The listed end offsets are a lower bound only: the embedded broker lists the start of a partition's last
    batch (see README), so reading goes on past them until a partition shows a record newer than the rebuild,
    or the broker has nothing more to give."""
    open_partitions = set(partitions)
    idle_since: float | None = None
    try:
        while open_partitions:
            fetched = await reader.getmany(*open_partitions, timeout_ms=200, max_records=batch_size)
            if not fetched:
                reached = all([await reader.position(tp) >= ends[tp] for tp in open_partitions])
                idle_since = idle_since or time.monotonic()
                if reached and time.monotonic() - idle_since > REPLAY_IDLE_S:
                    break
                continue
            idle_since = None
            batch, decoding = _Batch(), time.perf_counter()
            for tp, records in fetched.items():
                for record in records:
                    if record.timestamp >= cutoff_ms:
                        open_partitions.discard(tp)
                        reader.pause(tp)
                        break
                    batch.positions[tp] = record.offset + 1
                    batch.read += 1
                    _decode_into(batch, tp, record.offset, record.value)
            batch.decode_s = time.perf_counter() - decoding
            await batches.put(batch)
    except BaseException:
        # the writer stops at None and then raises this: what is queued would not be written anyway
        while not batches.empty():
            batches.get_nowait()
        batches.put_nowait(None)
        raise
    await batches.put(None)


def _decode_into(batch: _Batch, tp: TopicPartition, offset: int, value: bytes) -> None:
    """The event into ``batch.decoded``; or counted out: of a type history does not know, or undecodable."""
    try:
        batch.decoded.append(fast_decode.decode(value))
    except ValidationError:
        batch.undecodable += 1
        log.warning("replay left out a malformed envelope", topic=tp.topic, offset=offset)
    except UnknownEventType:
        batch.skipped += 1
    except UndecodableEvent as error:
        batch.undecodable += 1
        log.warning("rebuild left out an undecodable event", event_id=str(error.envelope.event_id), error=str(error))


async def _start_offsets(
    reader: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    ends: Mapping[TopicPartition, int],
    *,
    since_ms: int | None,
    start: Mapping[TopicPartition, int] | None,
) -> dict[TopicPartition, int]:
    beginnings = await reader.beginning_offsets(partitions)
    if start is not None:
        return {tp: start.get(tp, beginnings[tp]) for tp in partitions}
    if since_ms is None:
        return dict(beginnings)
    found = await reader.offsets_for_times({tp: since_ms for tp in partitions})
    # No record at or after the timestamp: nothing to replay there, start at the end.
    return {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in partitions}
