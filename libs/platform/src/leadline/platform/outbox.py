"""Transactional outbox: events are written with the state that caused them, then relayed.

``stage_events`` runs inside the caller's transaction; ``OutboxRelay`` publishes
committed rows to Kafka in ``id`` order and marks them sent. A crash after publishing
and before marking re-publishes the batch (at-least-once); consumers' inboxes make
that harmless. One relay per database publishes at a time (a transaction-scoped
advisory lock), so a stream's events keep their order even with several replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import Gauge
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events.envelope import Envelope
from leadline.events.topics import topic_for

from .failpoints import crash_point
from .messaging_tables import OUTBOX
from .tracing import current_trace_headers

log = structlog.get_logger(__name__)

RELAY_LOCK_ID = 7_470_001  # pg advisory lock key: one publishing relay per service database
FIRST_RETRY_S = 0.5  # after a failure (broker or database away), doubling up to 5 s
BACKLOG_MEASURE_INTERVAL_S = 15.0  # about half Prometheus's usual scrape interval
UNPUBLISHED = Gauge(
    "leadline_outbox_unpublished_events",
    "Events committed to this service's outbox and not yet published to Kafka (every replica of a "
    "service reports the same database: take the max)",
)
OLDEST_UNPUBLISHED = Gauge(
    "leadline_outbox_oldest_unpublished_seconds",
    "Age of the oldest event waiting in this service's outbox (0 when none waits)",
)


async def stage_events(session: AsyncSession, envelopes: Sequence[Envelope], *, topic: str | None = None) -> None:
    """Add events to the outbox in the caller's transaction; they leave only if it commits, and the commit wakes the
    relays (the outbox's trigger)."""
    await insert_outbox_rows(session, outbox_rows(envelopes, topic=topic))


def outbox_rows(envelopes: Sequence[Envelope], *, topic: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows of ``envelopes``, carrying the trace context current now (the writer's): a batch lane takes
    them as each record is decided and writes them all at its commit (``insert_outbox_rows``)."""
    trace_headers = current_trace_headers()
    return [
        {
            "event_id": envelope.event_id,
            "topic": topic or topic_for(envelope.type),
            "key": envelope.stream_id,
            "envelope": envelope.model_dump_json(),
            "headers": trace_headers,
        }
        for envelope in envelopes
    ]


async def insert_outbox_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row insert, in the caller's transaction."""
    if rows:
        await session.execute(insert(OUTBOX), rows)


_LEADING = select(func.pg_try_advisory_xact_lock(RELAY_LOCK_ID)).scalar_subquery()
"""Whether this transaction leads the relays: an uncorrelated subquery, which PostgreSQL evaluates once, before the
rows. Taking the rows with it in one statement saves each round a round trip to the database."""


def taken_when_leading(batch_size: int):
    """Marks the oldest ``batch_size`` unpublished rows published and returns them, if this transaction takes the
    relays' lock (else none). The mark holds only if the transaction commits, which the relay does once Kafka has
    acknowledged every row: reading and marking in one statement saves each round a round trip."""
    oldest = (
        select(OUTBOX.c.id).where(_LEADING, OUTBOX.c.published_at.is_(None)).order_by(OUTBOX.c.id).limit(batch_size)
    )
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(oldest.scalar_subquery()))
        .values(published_at=func.now())
        .returning(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.envelope, OUTBOX.c.headers)
    )


class OutboxRelay:
    """Publishes committed outbox rows to Kafka, oldest first, and marks them published.

    Its statements are built once (a relay round follows almost every commit that published something)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 100,  # small batches keep the relay from stalling the event loop it shares
        poll_interval_s: float = 0.5,
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._batch_size = batch_size
        self._take = taken_when_leading(batch_size)
        self._poll_interval_s = poll_interval_s
        self._keep_published = keep_published
        self._wakeup = asyncio.Event()
        self.published_total = 0

    def wake(self) -> None:
        """Called on NOTIFY: a transaction just committed new events."""
        self._wakeup.set()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events left. Safe to call concurrently from replicas."""
        async with self._sessions() as session, session.begin():
            rows = sorted((await session.execute(self._take)).all(), key=lambda row: row.id)  # none: another leads
            if not rows:
                return 0
            crash_point("outbox.before_publish")
            sends = []
            for row in rows:
                # the writer's trace context travels as stored: consumers continue the writer's trace
                headers = [(name, value.encode()) for name, value in row.headers.items()]
                sends.append(
                    await self._producer.send(
                        row.topic, value=row.envelope.encode(), key=row.key.encode(), headers=headers
                    )
                )
            await asyncio.gather(*sends)
            crash_point("outbox.after_publish")  # marked, not committed: published again after a restart
        self.published_total += len(rows)
        return len(rows)

    async def purge_published(self) -> int:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(OUTBOX).where(OUTBOX.c.published_at < func.now() - self._keep_published)
            )
        return result.rowcount or 0

    async def run(self) -> None:
        """Relay until cancelled; errors (broker down) are logged and retried with backoff.

        A wake-up is cleared *before* looking, so a commit that notifies while a batch is being published is looked
        for at once, not a poll interval later."""
        backoff = FIRST_RETRY_S
        while True:
            self._wakeup.clear()
            try:
                while await self.relay_once() == self._batch_size:  # a part batch was all there was: a
                    pass  # commit since then woke us (cleared before looking), so no empty look to make sure
                wait, backoff = self._poll_interval_s, FIRST_RETRY_S
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database unavailable: keep the rows, retry
                log.warning("outbox relay failed; will retry", error=str(error), retry_in_s=backoff)
                wait, backoff = backoff, min(backoff * 2, 5.0)
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=wait)
            except TimeoutError:
                pass


async def measure_backlog(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, float]:
    """How many committed events wait to be published, and how long the oldest has waited (seconds); sets the gauges.

    Read from the database, not from the relay: with the broker away from the start, no relay runs to count them.
    """
    async with sessions() as session:
        waiting = await session.scalar(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None)))
        oldest = await session.scalar(
            select(func.extract("epoch", func.now() - OUTBOX.c.created_at))
            .where(OUTBOX.c.published_at.is_(None))
            .order_by(OUTBOX.c.id)
            .limit(1)
        )
    age = max(0.0, float(oldest or 0.0))
    UNPUBLISHED.set(waiting or 0)
    OLDEST_UNPUBLISHED.set(age)
    return waiting or 0, age
