"""Consumers that work a fetched batch at a time: one transaction per lane of keys, all or nothing.

A ``BatchConsumer`` is one consumer group for several topics. Each topic has a ``Reaction``: the rule (a handler
given an open unit of work and the event) and the inbox that makes the event count once. The consumer, not the
handler, does the plumbing once: the inbox check, the unit of work (whose commit appends the aggregates' events and
stages them in the outbox) and deciding again when a concurrent writer won (optimistic concurrency).

A fetched batch is grouped by key (one chat, one conversation, one lead: their records stay in order) and the keys
are dealt to up to ``lanes`` lanes. A lane decides its records one after another in one transaction and commits them
together (group commit); the batch's offsets are committed after every lane has. On the happy path the records
share the transaction with no savepoint each: their inbox ids are recorded with one statement before they are
decided, their outbox rows written with one at the end. If anything fails there, the lane's transaction is rolled
back and its records are decided again, each in a savepoint: a record that fails then does not fail the batch: its
savepoint is rolled back, what the lane decided before it is committed (its locks released, so a deadlock cannot
recur), and the record is handled alone in transactions of its own, with the usual retries and dead letter
(``kafka.process_record``); the lane goes on after it. If a lane's commit itself fails, its records are handled
alone the same way: the inbox makes that harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events.envelope import Envelope
from leadline.events.registry import UnknownEventType

from . import kafka_clients
from .failpoints import crash_point
from .inbox import Admits, first_deliveries, first_delivery_of
from .kafka import (
    CONSUMED,
    SKIPPED,
    DeadLetters,
    event_log_context,
    group_subscriber,
    process_record,
    record_lag,
    record_span,
)
from .unit_of_work import LaneOutbox, SessionUnitOfWork

log = structlog.get_logger(__name__)

Handler = Callable[[Any, Envelope], Awaitable[object]]
"""The rule for one event: given an open unit of work (a service's own kind) and the event; it commits nothing."""


@dataclass(frozen=True)
class Reaction:
    """What a consumer does with one topic's events, and the inbox name that makes each count once.

    ``inbox=None``: the handler keeps its own record of what it applied (a projection that also tracks positions).
    """

    handle: Handler
    inbox: str | None
    admits: Admits = first_delivery_of


@dataclass
class Lane:
    """Records decided all or nothing in one transaction: the inbox ids recorded for them up front (with one
    statement), and the outbox rows of what they publish, written at the end (with one)."""

    first_seen: set[tuple[str, uuid.UUID]]
    outbox: LaneOutbox = field(default_factory=LaneOutbox)

    async def admits(self, session: AsyncSession, reaction: Reaction, envelope: Envelope) -> bool:
        assert reaction.inbox is not None
        if reaction.admits is not first_delivery_of:
            return await reaction.admits(session, reaction.inbox, envelope)
        seen = (reaction.inbox, envelope.event_id)
        if seen not in self.first_seen:  # a redelivery, or the same event twice in this lane
            return False
        self.first_seen.discard(seen)
        return True


class BatchConsumer:
    """One consumer group's reactions, decided in a caller's transaction or alone.

    ``conflict``: the error of a concurrent writer winning (optimistic concurrency): the event is decided again.
    """

    def __init__(
        self,
        name: str,
        reactions: Mapping[str, Reaction],
        *,
        sessions: async_sessionmaker[AsyncSession],
        unit_of_work: Callable[[], SessionUnitOfWork],
        conflict: type[Exception] | tuple[type[Exception], ...] = (),
        attempts_on_conflict: int = 8,
    ) -> None:
        self.name = name
        self.topics = tuple(reactions)
        self._reactions = reactions
        self.sessions = sessions
        self._unit_of_work = unit_of_work
        self._conflict = conflict
        self._attempts_on_conflict = attempts_on_conflict

    async def decide(self, session: AsyncSession, topic: str, envelope: Envelope) -> list[Envelope]:
        """One event in ``session``'s open transaction, all or nothing: the events it published (none: a redelivery)."""
        reaction = self._reactions[topic]
        for remaining in range(self._attempts_on_conflict - 1, -1, -1):
            try:
                async with self._unit_of_work().joining(session, causation=envelope) as work:
                    if reaction.inbox is not None and not await reaction.admits(session, reaction.inbox, envelope):
                        return []
                    await reaction.handle(work, envelope)
                    await work.commit()
                    return work.published
            except self._conflict:
                if not remaining:
                    raise
        raise AssertionError("unreachable")

    async def open_lane(self, session: AsyncSession, events: Sequence[tuple[str, Envelope]]) -> Lane:
        """A lane for ``events`` (topic, envelope) in ``session``'s transaction: their first deliveries recorded."""
        inboxes = ((self._reactions[topic], envelope) for topic, envelope in events)
        return Lane(
            await first_deliveries(
                session,
                [
                    (reaction.inbox, envelope.event_id)
                    for reaction, envelope in inboxes
                    if reaction.inbox is not None and reaction.admits is first_delivery_of
                ],
            )
        )

    async def decide_in_lane(self, session: AsyncSession, lane: Lane, topic: str, envelope: Envelope) -> None:
        """One event of ``lane``, no savepoint, no second attempt: if it raises, the caller rolls the lane back."""
        reaction = self._reactions[topic]
        if reaction.inbox is not None and not await lane.admits(session, reaction, envelope):
            return
        async with self._unit_of_work().joining(session, causation=envelope, lane=lane.outbox) as work:
            await reaction.handle(work, envelope)
            await work.commit()

    async def decide_alone(self, topic: str, envelope: Envelope) -> list[Envelope]:
        """One event in a transaction of its own (a record that failed in its batch; tests)."""
        async with self.sessions() as session, session.begin():
            published = await self.decide(session, topic, envelope)
        return published


RECORDS_PER_LANE = 32
"""Fewest records a lane is opened for. A lane's transaction has a fixed cost (a session, BEGIN, the inbox's and
the streams' statements, COMMIT, a relay round for what it published): dealing the dozen records a fetch brings at
100 msg/s to ten lanes paid it ten times. In one lane, history's CPU per customer message fell from 3.9 to 1.8 ms
(``python -m leadline.bench.history_live --batch 12``); with 500 records, ten lanes of 50 cost no more than two."""


def lanes_for(records: int, keys: int, most: int, *, records_per_lane: int = RECORDS_PER_LANE) -> int:
    """How many lanes a fetched batch is dealt to: one per ``records_per_lane`` records, at least one, never more
    than its keys (a key's records stay in one lane, in order) or ``most`` (the database pool's connections)."""
    return max(1, min(most, keys, records // records_per_lane))


# A lane whose transaction is lost with nothing decided (the database is away) waits before deciding it again, doubling
# the wait up to the last: no record is dead-lettered for an outage, and none is retried in a busy loop meanwhile.
FIRST_LANE_RETRY_S, LAST_LANE_RETRY_S = 0.05, 5.0


@dataclass
class BatchDelivery:
    """How a ``BatchConsumer`` takes its fetched batches (``subscribe_batches`` wires one per consumer group)."""

    consumer: BatchConsumer
    dead_letters: Callable[[], DeadLetters]
    group: str
    lanes: int
    attempts: int
    max_per_transaction: int = 64  # a lane's locks are held until it commits: keep that short for HTTP commands
    records_per_lane: int = RECORDS_PER_LANE

    async def work_batch(self, records: Sequence[Any]) -> None:
        """Group by key, deal keys to lanes, run the lanes at once; returns when every record is committed or dealt with."""
        by_key: dict[tuple[str, bytes | None], list[Any]] = {}
        for record in records:
            by_key.setdefault((record.topic, record.key), []).append(record)
        groups = list(by_key.values())
        count = lanes_for(len(records), len(groups), self.lanes, records_per_lane=self.records_per_lane)
        lanes = [groups[lane::count] for lane in range(count)]
        await asyncio.gather(*(self._work_lane([r for group in lane for r in group]) for lane in lanes))

    async def _work_lane(self, records: list[Any]) -> None:
        pending, retry_in_s = records, FIRST_LANE_RETRY_S
        while pending:
            decided, failed = await self._one_transaction(pending[: self.max_per_transaction])
            if not decided and failed is None:  # the transaction itself was lost (the database is away): wait for it
                log.warning("a lane's transaction failed; deciding it again", retry_in_s=retry_in_s)
                await asyncio.sleep(retry_in_s)
                retry_in_s = min(retry_in_s * 2, LAST_LANE_RETRY_S)
                continue
            retry_in_s = FIRST_LANE_RETRY_S
            pending = pending[len(decided) + (failed is not None) :]
            if failed is not None:
                await self._alone(failed)

    async def _one_transaction(self, records: list[Any]) -> tuple[list[Any], Any | None]:
        """Decide ``records`` in order in one transaction up to the first that fails; (decided, failed)."""
        if await self._all_at_once(records):
            return records, None
        return await self._one_savepoint_each(records)

    async def _all_at_once(self, records: list[Any]) -> bool:
        """The happy path: every record decided in one transaction, no savepoint each; False, nothing kept, if any
        record (or the commit) fails: the caller decides them again one savepoint each."""
        try:
            envelopes = [Envelope.from_bytes(record.value) for record in records]
        except ValidationError:
            return False
        try:
            async with self.consumer.sessions() as session, session.begin():
                events = list(zip(records, envelopes, strict=True))
                lane = await self.consumer.open_lane(session, [(record.topic, e) for record, e in events])
                for record, envelope in events:
                    with record_span(record), event_log_context(self.group, envelope):
                        await self.consumer.decide_in_lane(session, lane, record.topic, envelope)
                await lane.outbox.write(session)
        except Exception as error:
            log.info("a lane's records are decided again, one savepoint each", error=str(error))
            return False
        crash_point("consumer.after_handle")  # effects committed, offsets not yet: redelivery must be harmless
        for envelope in envelopes:
            CONSUMED.labels(self.group, envelope.type).inc()
        return True

    async def _one_savepoint_each(self, records: list[Any]) -> tuple[list[Any], Any | None]:
        decided: list[tuple[Any, Envelope, bool]] = []
        failed = None
        try:
            async with self.consumer.sessions() as session, session.begin():
                for record in records:
                    outcome = await self._in_savepoint(session, record)
                    if outcome is None:
                        failed = record
                        break
                    decided.append((record, *outcome))
        except Exception as error:  # the lane's transaction is lost: its records are handled alone
            log.warning("batch transaction failed; handling its records one by one", error=str(error))
            for record, _, _ in decided:
                await self._alone(record)
            return [record for record, _, _ in decided], failed
        crash_point("consumer.after_handle")  # effects committed, offsets not yet: redelivery must be harmless
        for _, envelope, known in decided:
            (CONSUMED if known else SKIPPED).labels(self.group, envelope.type).inc()
        return [record for record, _, _ in decided], failed

    async def _in_savepoint(self, session: AsyncSession, record: Any) -> tuple[Envelope, bool] | None:
        """(envelope, known type) when decided or skipped; None when the record must be handled alone."""
        try:
            envelope = Envelope.from_bytes(record.value)
        except ValidationError:
            return None
        with record_span(record), event_log_context(self.group, envelope):
            try:
                await self.consumer.decide(session, record.topic, envelope)
                return envelope, True
            except UnknownEventType:
                return envelope, False
            except Exception as error:
                log.warning("event failed in its batch; handling it alone", error=str(error))
                return None

    async def _alone(self, record: Any) -> None:
        async def handle(envelope: Envelope) -> None:
            await self.consumer.decide_alone(record.topic, envelope)

        await process_record(
            self.group,
            handle,
            self.dead_letters(),
            topic=record.topic,
            key=record.key,
            value=record.value,
            partition=record.partition,
            offset=record.offset,
            attempts=self.attempts,
        )


MAX_RECORDS_PER_BATCH = 500


def take_batches_without_idle_sleep(subscriber: Any, *, wait_ms: int) -> None:
    """A batch subscriber's loop waits for records up to ``wait_ms`` and sleeps not at all after an empty wait.

    FastStream's batch subscriber asks aiokafka for records with its batch timeout and, when none came, sleeps that
    timeout again: a record arriving during the sleep waits for it, so the timeout had to stay short (100 ms), and
    an idle service woke twenty times a second per consumer group. aiokafka's ``getmany`` answers as soon as the
    fetcher holds records, so a long wait costs no latency; without the sleep, an idle loop turns once a second.
    ``tests/unit/platform/test_batch_loop.py`` fails if FastStream's subscriber changes shape."""
    max_records = subscriber.max_records

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        fetched = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
        return tuple(chain.from_iterable(fetched.values()))

    subscriber.get_msg = get_msg


def subscribe_batches(broker: Any, delivery: BatchDelivery, *, fetch_max_wait_ms: int, **membership: int) -> None:
    """Register ``delivery`` for its consumer's topics in group ``delivery.group``: a batch at a time, offsets after."""
    subscriber = group_subscriber(
        broker,
        delivery.consumer.topics,
        consumer=delivery.group,
        fetch_max_wait_ms=fetch_max_wait_ms,
        **membership,
        batch=True,
        max_records=MAX_RECORDS_PER_BATCH,
    )
    take_batches_without_idle_sleep(subscriber, wait_ms=kafka_clients.IDLE_TURN_MS)

    @subscriber
    async def on_batch(fetched: tuple[ConsumerRecord, ...] | ConsumerRecord) -> None:
        records = fetched if isinstance(fetched, tuple) else (fetched,)
        await delivery.work_batch(records)
        record_lag(subscriber, delivery.group, records)
