"""Paced fetches against the real broker: quiet while a topic is idle, short again as soon as a record comes."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker

from leadline.platform import kafka_clients
from leadline.platform.fetch_pacing import FetchPacing, current_wait_ms, pace, pace_subscribers
from leadline.platform.kafka import DeadLetters, subscribe_events
from tests.kafka_helpers import new_topic, session_timeout_ms, wait_until


@dataclass(frozen=True)
class RecordedPacing(FetchPacing):
    """The pacing rule, remembering the wait it chose after each fetch (True: that fetch brought records)."""

    chosen: list[tuple[bool, int]] = field(default_factory=list, compare=False)

    def next_wait(self, wait_ms: int, *, brought_records: bool) -> int:
        wait = super().next_wait(wait_ms, brought_records=brought_records)
        self.chosen.append((brought_records, wait))
        return wait


async def test_an_idle_consumer_waits_longer_and_longer_and_the_first_record_brings_the_short_wait_back(infra):
    topic = await new_topic(infra.bootstrap_servers, "pacing", partitions=2)
    pacing = RecordedPacing(busy_ms=10, idle_ms=160)
    consumer = kafka_clients.consumer(
        infra.kafka_settings, topic, group_id=None, auto_offset_reset="latest", fetch_max_wait_ms=pacing.busy_ms
    )
    producer = kafka_clients.producer(infra.kafka_settings, acks="all")
    await consumer.start()
    await producer.start()
    try:
        pace(consumer, pacing)
        pace(consumer, pacing)  # twice is once
        await wait_until(lambda: waits(consumer, 160), timeout_s=10)
        idle = [wait for _, wait in pacing.chosen]
        assert idle[:4] == [20, 40, 80, 160], idle

        sent_at = time.monotonic()
        await producer.send_and_wait(topic, b"hello", key=b"chat-1")
        batch = await consumer.getmany(timeout_ms=5_000)
        waited_s = time.monotonic() - sent_at
        assert [record.value for records in batch.values() for record in records] == [b"hello"]
        assert waited_s < 2.0
        assert (True, 10) in pacing.chosen[len(idle) :], "the fetch that brought the record set the short wait back"
    finally:
        await producer.stop()
        await consumer.stop()


async def test_a_services_subscribers_are_paced_once_started(infra):
    topic = await new_topic(infra.bootstrap_servers, "pacing-group", partitions=1)
    producer = kafka_clients.producer(infra.kafka_settings)
    await producer.start()
    dead_letters = DeadLetters(producer, "pacing-test")
    broker = KafkaBroker(infra.bootstrap_servers)

    async def handle(_envelope) -> None:
        return None

    subscribe_events(
        broker,
        [topic],
        consumer=f"pacing-{uuid.uuid4().hex[:6]}",
        handle=handle,
        dead_letters=lambda: dead_letters,
        session_timeout_ms=session_timeout_ms(),
    )
    await broker.start()
    try:
        pace_subscribers(broker.subscribers, FetchPacing(busy_ms=10, idle_ms=80))
        (subscriber,) = broker.subscribers
        await wait_until(lambda: waits(subscriber.consumer, 80), timeout_s=30)
    finally:
        await broker.stop()
        await producer.stop()


async def waits(consumer, wait_ms: int) -> bool:
    return current_wait_ms(consumer) == wait_ms
