"""Kafka wiring: the services' producer, and how leadline consumes events a record at a time.

``subscribe_events`` turns a plain ``async def handle(envelope)`` into a FastStream
subscriber that binds log context, retries with backoff, skips event types it does
not know, and dead-letters what still fails to ``<topic>.dlq`` with the error, so one
poison event never stops a partition. The offset is committed only after the handler
returns (AckPolicy.ACK), and handlers commit their database work before returning.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from opentelemetry import trace
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from leadline.events.envelope import Envelope
from leadline.events.registry import UndecodableEvent, UnknownEventType
from leadline.events.topics import dlq_topic

from . import kafka_clients
from .failpoints import crash_point
from .offset_commits import OffsetCommits
from .settings import KafkaSettings
from .tracing import context_from_headers

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)

EventHandler = Callable[[Envelope], Awaitable[None]]

CONSUMED = Counter("leadline_events_consumed_total", "Events handled", ["consumer", "type"])
SKIPPED = Counter("leadline_events_skipped_total", "Events of types this consumer does not know", ["consumer", "type"])
DEAD_LETTERED = Counter(
    "leadline_events_dead_lettered_total", "Events sent to a dead-letter topic", ["consumer", "topic"]
)
CONSUMER_LAG = Gauge(
    "leadline_consumer_lag",
    "Records of a partition not yet handled by this consumer group's member that "
    "owns it (the partition's high watermark minus the next offset), as of the last record handled",
    ["consumer", "topic", "partition"],
)


def create_producer(kafka: KafkaSettings, *, enable_idempotence: bool = False) -> AIOKafkaProducer:
    """acks=all always; idempotence only where the broker supports it (not the embedded one)."""
    return kafka_clients.producer(
        kafka,
        acks="all",
        enable_idempotence=enable_idempotence,
        linger_ms=1,
        request_timeout_ms=10_000,
        client_id="leadline",
    )


class DeadLetters:
    """Publishes failed events, untouched, to ``<topic>.dlq`` with the error in headers."""

    def __init__(self, producer: AIOKafkaProducer, consumer: str) -> None:
        self._producer = producer
        self._consumer = consumer

    async def send(
        self, *, topic: str, key: bytes | None, value: bytes, partition: int, offset: int, error: BaseException
    ) -> None:
        headers = [
            ("dlq.error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq.traceback", "".join(traceback.format_exception(error))[-4000:].encode()),
            ("dlq.consumer", self._consumer.encode()),
            ("dlq.topic", topic.encode()),
            ("dlq.partition", str(partition).encode()),
            ("dlq.offset", str(offset).encode()),
        ]
        await self._producer.send_and_wait(dlq_topic(topic), value=value, key=key, headers=headers)
        DEAD_LETTERED.labels(self._consumer, topic).inc()


async def handle_with_retries(
    handle: EventHandler, envelope: Envelope, *, attempts: int, first_backoff_s: float = 0.05
) -> None:
    """Transient failures (a dropped connection) get a few tries before the event is dead-lettered."""
    for attempt in range(1, attempts + 1):
        try:
            await handle(envelope)
            return
        except UndecodableEvent:
            raise
        except Exception as error:
            if attempt == attempts:
                raise
            log.warning("handler failed; retrying", attempt=attempt, error=str(error))
            await asyncio.sleep(first_backoff_s * 2 ** (attempt - 1))


async def process_record(
    consumer: str,
    handle: EventHandler,
    dead_letters: DeadLetters,
    *,
    topic: str,
    key: bytes | None,
    value: bytes,
    partition: int,
    offset: int,
    attempts: int,
    types: Collection[str] | None = None,
) -> bool:
    """What happens to one Kafka record: decode, handle, skip or dead-letter. Never raises.

    False when the record was passed by: ``types`` are the event types ``handle`` is for, and this is another."""
    try:
        envelope = Envelope.from_bytes(value)
    except ValidationError as error:
        log.error("malformed envelope dead-lettered", topic=topic, offset=offset)
        await dead_letters.send(topic=topic, key=key, value=value, partition=partition, offset=offset, error=error)
        return True
    if types is not None and envelope.type not in types:
        # counted as consumed, as when a handler ignored it: LeadlineConsumerStalled sees the group keep up
        CONSUMED.labels(consumer, envelope.type).inc()
        return False
    with event_log_context(consumer, envelope):
        try:
            await handle_with_retries(handle, envelope, attempts=attempts)
            crash_point("consumer.after_handle")  # effect committed, offset not yet: redelivery must be harmless
            CONSUMED.labels(consumer, envelope.type).inc()
        except UnknownEventType:
            SKIPPED.labels(consumer, envelope.type).inc()
        except Exception as error:
            log.error("event dead-lettered", error=str(error))
            await dead_letters.send(topic=topic, key=key, value=value, partition=partition, offset=offset, error=error)
    return True


def event_log_context(consumer: str, envelope: Envelope) -> AbstractContextManager[object]:
    """Every log line while an event is handled names it, its stream and its causes."""
    return structlog.contextvars.bound_contextvars(
        event_id=str(envelope.event_id),
        event_type=envelope.type,
        stream_id=envelope.stream_id,
        correlation_id=str(envelope.correlation_id),
        causation_id=str(envelope.causation_id or ""),
        consumer=consumer,
    )


def subscribe_events(
    broker: KafkaBroker,
    topics: Sequence[str],
    *,
    consumer: str,
    handle: EventHandler,
    dead_letters: Callable[[], DeadLetters],
    attempts: int = 3,
    fetch_max_wait_ms: int = 10,
    session_timeout_ms: int = 10_000,
    types: Collection[str] | None = None,
) -> None:
    """Register ``handle`` for ``topics`` in consumer group ``consumer``: a record at a time, its own transaction.

    ``types``: the event types ``handle`` is for (None: all). A record of another type is passed by, and its offset
    committed later (``offset_commits``); a handled record's offset is committed as soon as ``handle`` returns.

    Consumers whose records are worth committing together take batches instead (``batches.subscribe_batches``).
    A record at a time also means a poll per record: a handler that may take long (ingest's send tries WhatsApp up
    to five times, 20 s each) never keeps the consumer from polling for longer than one record takes, whereas a
    fetched batch of slow records could outlast ``max.poll.interval.ms`` (5 min) and cost the group a rebalance.
    """
    subscriber = group_subscriber(
        broker,
        topics,
        consumer=consumer,
        fetch_max_wait_ms=fetch_max_wait_ms,
        ack_policy=AckPolicy.MANUAL,
        **membership(session_timeout_ms),
    )
    commits = OffsetCommits(subscriber)

    @subscriber
    async def on_record(record: ConsumerRecord) -> None:
        handled = await process_record(
            consumer,
            handle,
            dead_letters(),
            topic=record.topic,
            key=record.key,
            value=record.value,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            types=types,
        )
        if handled:
            await commits.handled(record)
        else:
            commits.passed_by(record)
        record_lag(subscriber, consumer, (record,))


def membership(session_timeout_ms: int) -> dict[str, int]:
    """How long a silent member keeps its partitions, and how often it says it is alive."""
    return {"session_timeout_ms": session_timeout_ms, "heartbeat_interval_ms": session_timeout_ms // 3}


def group_subscriber(
    broker: KafkaBroker,
    topics: Sequence[str],
    *,
    consumer: str,
    fetch_max_wait_ms: int,
    ack_policy: AckPolicy = AckPolicy.ACK,
    **options: object,
):
    """A subscriber in group ``consumer``, from the earliest, whose handler is called with the fetched record (or
    batch of records) itself. It commits offsets only after the handler returns (``AckPolicy.ACK``), or leaves them
    to the handler (``AckPolicy.MANUAL``)."""
    return broker.subscriber(
        *topics,
        group_id=consumer,
        ack_policy=ack_policy,
        decoder=kafka_clients.raw_records,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_max_wait_ms,
        consumer_timeout_ms=kafka_clients.IDLE_TURN_MS,
        title=f"{consumer}:{','.join(topics)}",
        **options,
    )


def record_span(record: object) -> AbstractContextManager[trace.Span]:
    """A span for one record of a batch, continuing the trace in its headers (the writer's, kept in the outbox).

    FastStream gives a whole batch one span of its own trace: without this, every event handled in a batch would
    leave the trace of the request that caused it. The batch's span is linked."""
    batch = trace.get_current_span().get_span_context()
    return tracer.start_as_current_span(
        f"{record.topic} process",
        context=context_from_headers(record.headers or ()),
        kind=trace.SpanKind.CONSUMER,
        links=[trace.Link(batch)] if batch.is_valid else None,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
        },
    )


def record_lag(subscriber: object, consumer: str, records: Iterable) -> None:
    """``leadline_consumer_lag`` of the partitions these records came from, from the fetches' high watermarks."""
    kafka = getattr(subscriber, "consumer", None)  # FastStream's AIOKafkaConsumer, once started
    if kafka is None:
        return
    last = {(record.topic, record.partition): record.offset for record in records}
    for (topic, partition), offset in last.items():
        high = kafka.highwater(TopicPartition(topic, partition))
        if high is not None:
            CONSUMER_LAG.labels(consumer, topic, str(partition)).set(max(0, high - offset - 1))
